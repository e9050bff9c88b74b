package org.grad4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class GradientSumTest {
    private static List<Contribution> contributions(int partitions, Random rng) {
        List<Contribution> out = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            double[] g = new double[5];
            for (int i = 0; i < g.length; i++) {
                g[i] = rng.nextGaussian() * Math.pow(10, rng.nextInt(8)); // magnitudes where order matters
            }
            out.add(new Contribution(p, g, rng.nextDouble(), p, 1));
        }
        return out;
    }

    /** The fixed tree: pairs of neighbours, then pairs of pairs, the odd one carried up. */
    private static double[] byTree(List<Contribution> c, int from, int to) {
        if (to - from == 1) {
            return c.get(from).gradient();
        }
        int size = Integer.highestOneBit(to - from - 1);
        double[] l = byTree(c, from, from + size);
        double[] r = byTree(c, from + size, to);
        double[] s = new double[l.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = l[i] + r[i];
        }
        return s;
    }

    @Test
    void theSumIsTheFixedTreesInAnyArrivalOrderAndGrouping() {
        Random rng = new Random(345);
        for (int partitions = 1; partitions <= 9; partitions++) {
            List<Contribution> c = contributions(partitions, rng);
            double[] expected = byTree(c, 0, partitions);
            for (int trial = 0; trial < 20; trial++) {
                List<Contribution> shuffled = new ArrayList<>(c);
                Collections.shuffle(shuffled, rng);
                // Two aggregators, as two branches of Spark's tree, merged in a random order.
                GradientSum a = new GradientSum(partitions);
                GradientSum b = new GradientSum(partitions);
                for (Contribution x : shuffled) {
                    (rng.nextBoolean() ? a : b).add(x);
                }
                Contribution total = (rng.nextBoolean() ? a.merge(b) : b.merge(a)).total();
                assertArrayEquals(expected, total.gradient(), "partitions " + partitions);
                assertEquals(partitions, total.count());
            }
        }
    }

    @Test
    void aMissingPartitionIsAnError() {
        GradientSum sum = new GradientSum(3);
        List<Contribution> c = contributions(3, new Random(1));
        sum.add(c.get(0)).add(c.get(2));
        assertEquals("SparkTrainer: the gradient sum holds 2 partial sums, not the contributions of all 3 partitions",
                assertThrows(IllegalStateException.class, sum::total).getMessage());
    }
}
