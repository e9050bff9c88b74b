package org.grad4j.spark;

import java.io.Serializable;
import java.util.TreeMap;

/**
 * The sum of the partitions' {@link Contribution}s in a fixed order, whatever order Spark's
 * {@code treeAggregate} delivers them in. The order is the binary tree over partition indices:
 * partition pairs {@code (0,1), (2,3), ...}, then pairs of pairs, each node summed left plus right.
 * A node is added as soon as both its children are there (a child wholly past the last partition
 * counts as there and empty), so partial sums travel up Spark's tree as they complete, and the
 * result is the same bits on every run.
 */
final class GradientSum implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int partitions;
    /** The completed nodes not yet summed into their parent, by first partition; level in {@link #levels}. */
    private final TreeMap<Integer, Contribution> nodes = new TreeMap<>();
    private final TreeMap<Integer, Integer> levels = new TreeMap<>();

    GradientSum(int partitions) {
        this.partitions = partitions;
    }

    /** Adds one partition's contribution; returns {@code this}. */
    GradientSum add(Contribution c) {
        insert(c.partition(), 0, c);
        return this;
    }

    /** Adds every node of {@code other}; returns {@code this}. */
    GradientSum merge(GradientSum other) {
        for (Integer start : other.nodes.keySet()) {
            insert(start, other.levels.get(start), other.nodes.get(start));
        }
        return this;
    }

    private void insert(int start, int level, Contribution c) {
        while (start != 0 || (1 << level) < partitions) { // not yet the root
            int size = 1 << level;
            boolean left = (start / size) % 2 == 0;
            int sibling = left ? start + size : start - size;
            if (left && sibling >= partitions) {
                level++; // the right child is empty: this node is its parent's sum
            } else if (levels.getOrDefault(sibling, -1) == level) {
                Contribution s = nodes.remove(sibling);
                levels.remove(sibling);
                c = left ? c.plus(s) : s.plus(c);
                start = Math.min(start, sibling);
                level++;
            } else {
                break;
            }
        }
        nodes.put(start, c);
        levels.put(start, level);
    }

    /**
     * The total over all partitions.
     *
     * @throws IllegalStateException if some partition's contribution is missing
     */
    Contribution total() {
        if (nodes.size() != 1 || nodes.firstKey() != 0 || (1 << levels.get(0)) < partitions) {
            throw new IllegalStateException("SparkTrainer: the gradient sum holds " + nodes.size()
                    + " partial sums, not the contributions of all " + partitions + " partitions");
        }
        return nodes.get(0);
    }
}
