package org.grad4j.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import org.grad4j.core.Functional;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;
import org.grad4j.layers.BatchNorms;
import org.grad4j.layers.Module;
import org.grad4j.layers.PooledMoments;
import org.grad4j.train.Optimizer;

/**
 * One partition's model and data shard, kept on the executor between the steps of a training job
 * so that only parameters and gradients travel. A replica lives in a static map keyed by the job
 * and the partition; a task that finds none (the first step, or a task moved to another executor
 * after a failure) builds it again from the partition's examples, which gives the same replica.
 * Nothing a step computes is kept in the replica except its cached permutation, so a task retried
 * after a failure computes the same contribution.
 */
final class Replica {
    private static final Map<String, Replica> CACHE = new ConcurrentHashMap<>();

    final Module model;
    private final List<Tensor> params;
    private final int[] inputShape;
    private final int featureLength;
    private final float[] features;
    private final int[] labels;
    private final long seed;
    private final int partition;
    private int orderEpoch = -1;
    private int[] order;

    private Replica(Module model, int[] inputShape, float[] features, int[] labels, long seed, int partition) {
        this.model = model;
        this.params = model.parameters();
        this.inputShape = inputShape;
        this.featureLength = Shard.product(inputShape);
        this.features = features;
        this.labels = labels;
        this.seed = seed;
        this.partition = partition;
    }

    /** The cached replica of {@code partition} in {@code job}, or null. */
    static Replica cached(String job, int partition) {
        return CACHE.get(key(job, partition));
    }

    /**
     * The cached replica, built from {@code examples} if there is none.
     *
     * @throws IllegalArgumentException as {@link Shard#of}; nothing is cached then
     */
    static Replica get(String job, int partition, Iterator<Example> examples, ModelFactory factory,
                       int[] inputShape, int classes, long seed) {
        return CACHE.computeIfAbsent(key(job, partition), k -> {
            List<Example> list = new ArrayList<>();
            examples.forEachRemaining(list::add);
            Shard shard = Shard.of(list, inputShape, classes, partition);
            return new Replica(factory.create(), inputShape, shard.features(), shard.labels(), seed, partition);
        });
    }

    /** Drops the replicas of {@code job} held by this JVM. */
    static void forget(String job) {
        CACHE.keySet().removeIf(k -> k.startsWith(job + "/"));
    }

    private static String key(String job, int partition) {
        return job + "/" + partition;
    }

    int count() {
        return labels.length;
    }

    /**
     * The gradient of the mean cross-entropy over this shard's batch {@code step} (0-based) of
     * {@code epoch}, at the parameter values {@code flat}, weighted by the batch size.
     */
    Contribution gradient(float[] flat, int epoch, int step, int batch) {
        FlatParameters.set(params, flat);
        double[] lossAndCorrect = forwardBackward(epoch, step, batch);
        float[] g = FlatParameters.gradients(params);
        double[] weighted = new double[g.length];
        for (int i = 0; i < g.length; i++) {
            weighted[i] = (double) g[i] * batch; // exact: a float times an int below 2^29
        }
        return new Contribution(partition, weighted, lossAndCorrect[0], (long) lossAndCorrect[1], batch);
    }

    /**
     * Local SGD: from the parameter values {@code flat}, {@code steps} optimizer steps on this
     * shard's batches {@code first, first + 1, ...} of {@code epoch} with a new optimizer from
     * {@code optimizer}; returns the parameters reached, weighted by the examples used (so the sum
     * over partitions divided by the count is their average).
     */
    Contribution localSteps(float[] flat, OptimizerFactory optimizer, int epoch, int first, int steps, int batch) {
        FlatParameters.set(params, flat);
        Optimizer opt = optimizer.create(params);
        double lossSum = 0;
        long correct = 0;
        for (int t = first; t < first + steps; t++) {
            double[] lossAndCorrect = forwardBackward(epoch, t, batch);
            opt.step();
            lossSum += lossAndCorrect[0];
            correct += (long) lossAndCorrect[1];
        }
        float[] p = FlatParameters.values(params);
        long count = (long) steps * batch;
        double[] weighted = new double[p.length];
        for (int i = 0; i < p.length; i++) {
            weighted[i] = (double) p[i] * count;
        }
        return new Contribution(partition, weighted, lossSum, correct, count);
    }

    /**
     * Forward and backward of the mean cross-entropy over batch {@code step} of {@code epoch},
     * leaving the gradients in the parameters; returns {summed loss, correct predictions}.
     */
    private double[] forwardBackward(int epoch, int step, int batch) {
        int[] idx = Arrays.copyOfRange(order(epoch), step * batch, (step + 1) * batch);
        float[] x = new float[batch * featureLength];
        int[] y = new int[batch];
        for (int i = 0; i < batch; i++) {
            System.arraycopy(features, idx[i] * featureLength, x, i * featureLength, featureLength);
            y[i] = labels[idx[i]];
        }
        model.train();
        model.zeroGrad();
        Tensor logits;
        Tensor loss;
        try (Tape tape = Tape.record()) {
            logits = model.forward(Tensor.wrap(x, batchDims(batch)));
            loss = Functional.crossEntropy(logits, y);
            loss.backward();
        }
        int[] predicted = logits.argmax(1);
        long correct = 0;
        for (int i = 0; i < batch; i++) {
            if (predicted[i] == y[i]) {
                correct++;
            }
        }
        return new double[] {(double) loss.item() * batch, correct};
    }

    /**
     * The moments of every batch-norm layer's inputs over this shard's full batches of
     * {@code batch}, in stored order, at the parameter values {@code flat}
     * ({@link BatchNorms#moments}).
     */
    Map<String, PooledMoments> moments(float[] flat, int batch) {
        FlatParameters.set(params, flat);
        List<Tensor> batches = new ArrayList<>();
        for (int i = 0; i + batch <= labels.length; i += batch) {
            batches.add(Tensor.wrap(Arrays.copyOfRange(features, i * featureLength, (i + batch) * featureLength),
                    batchDims(batch)));
        }
        return BatchNorms.moments(model, batches, Integer.MAX_VALUE);
    }

    private int[] batchDims(int batch) {
        int[] dims = new int[inputShape.length + 1];
        dims[0] = batch;
        System.arraycopy(inputShape, 0, dims, 1, inputShape.length);
        return dims;
    }

    /** The shard's order in {@code epoch}: a permutation that depends only on the seed, the epoch and the partition. */
    private int[] order(int epoch) {
        if (orderEpoch != epoch) {
            order = permutation(seed, epoch, partition, labels.length);
            orderEpoch = epoch;
        }
        return order;
    }

    /** Fisher-Yates over {@code 0..n-1} with a generator seeded from the seed, the epoch and the partition. */
    static int[] permutation(long seed, int epoch, int partition, int n) {
        Random rng = new Random(seed * 1_000_003L + epoch * 1_009L + partition);
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
