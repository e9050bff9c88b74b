package org.grad4j.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;
import org.grad4j.layers.BatchNorm;
import org.grad4j.layers.BatchNorms;
import org.grad4j.layers.Module;
import org.grad4j.layers.PooledMoments;
import org.grad4j.train.EpochMetrics;
import org.grad4j.train.Optimizer;

/**
 * Synchronous data-parallel SGD on Spark: every partition of the training RDD holds a shard of the
 * data and a replica of the model (built once, cached on its executor); each step, every replica
 * computes the gradient of the mean cross-entropy over its next {@code batchPerPartition}
 * examples at the driver's parameters, the gradients are summed by {@code treeAggregate}, and the
 * optimizer takes one step on the driver. With {@code P} partitions the global batch is
 * {@code B = P * batchPerPartition} and the gradient is exactly the global batch's mean gradient
 * (up to float32 rounding):
 *
 * <pre>
 * g = (1 / B) * sum over partitions p of  b * g_p       (g_p: the mean gradient of p's batch of b)
 * </pre>
 *
 * <pre>{@code
 * JavaRDD<Example> data = sc.parallelize(examples, 2);   // small data; large data: read on the executors
 * SparkTrainer trainer = new SparkTrainer(() -> BnLeNet.model(28, BnLeNet.Norm.library),
 *         params -> new SGD(params, 0.1), 1, 28, 28);
 * List<EpochMetrics> history = trainer.fit(data, 128, 10);
 * Module trained = trainer.model();
 * }</pre>
 *
 * <p>Only parameters and gradients travel: the parameter vector is broadcast once per step, and
 * each partition returns one gradient vector. The data stay where Spark cached them (the RDD is
 * persisted for the run if it was not) and in each replica. But an RDD made by
 * {@code parallelize} from a driver-side list carries its slice of the list in every task, so in
 * every step: build large data on the executors instead (read files there, as
 * {@code SparkBnLeNet} does, or {@code textFile} and friends).
 *
 * <p>Determinism: partition {@code p} draws its batches from a permutation of its shard that
 * depends only on the seed, the epoch and {@code p}; the gradients are summed over a fixed binary
 * tree of partition indices, in double, whatever order the tasks finish in. So a run gives the
 * same bits for the same data, partitioning and seed, and a task retried after a failure changes
 * nothing. With one partition the result is the single-process step's bit for bit
 * ({@code (double) g * b / b == g}).
 *
 * <p>BatchNorm: each replica normalises with its own batch's statistics (PyTorch DDP without
 * SyncBatchNorm), so the gradient is the average of the shards' gradients, not the gradient of
 * one batch-norm over the global batch ({@code docs/distributed.md} measures the difference).
 * After the last epoch the driver's running statistics are set to the exact population
 * statistics over all partitions' batches ({@link BatchNorms#moments}, merged in partition order).
 */
public final class SparkTrainer {
    private final ModelFactory factory;
    private final Module model;
    private final OptimizerFactory optimizerFactory;
    private final Optimizer optimizer;
    private final int[] inputShape;
    private long seed;
    /** 0: synchronous SGD; k: local SGD, parameters averaged every k steps. */
    private int localSteps;

    /**
     * A trainer for the model {@code factory} builds, whose driver copy is trained by the optimizer
     * {@code optimizerFactory} makes for its parameters, on inputs of shape {@code inputShape}
     * per example ({@code 1, 28, 28} for Fashion-MNIST).
     *
     * @throws IllegalArgumentException if {@code inputShape} is empty or has a dimension below 1
     * @throws NullPointerException if an argument is null
     */
    public SparkTrainer(ModelFactory factory, OptimizerFactory optimizerFactory, int... inputShape) {
        this.factory = Objects.requireNonNull(factory, "SparkTrainer: model factory is null");
        this.optimizerFactory = Objects.requireNonNull(optimizerFactory, "SparkTrainer: optimizer factory is null");
        if (inputShape.length == 0 || Arrays.stream(inputShape).anyMatch(d -> d < 1)) {
            throw new IllegalArgumentException("SparkTrainer: invalid input shape " + Arrays.toString(inputShape)
                    + " (expected one or more dimensions >= 1)");
        }
        this.inputShape = inputShape.clone();
        this.model = factory.create();
        this.optimizer = optimizerFactory.create(model.parameters());
    }

    /** Sets the seed of the shards' batch order; returns {@code this}. */
    public SparkTrainer withSeed(long seed) {
        this.seed = seed;
        return this;
    }

    /**
     * Local SGD (parameter averaging): instead of one synchronous step per Spark job, every
     * replica takes {@code k} optimizer steps on its own batches from the driver's parameters,
     * with a new optimizer from the factory (so momentum or Adam state lasts one round), and the
     * driver sets its parameters to the replicas' average. One Spark job per {@code k} steps: the
     * cheaper mode when a job costs more than a step ({@code docs/distributed.md}). With plain SGD
     * and {@code k = 1} it is synchronous SGD up to float32 rounding. Returns {@code this}.
     *
     * @throws IllegalArgumentException if {@code k < 1}
     */
    public SparkTrainer withLocalSteps(int k) {
        if (k < 1) {
            throw new IllegalArgumentException("SparkTrainer: invalid number of local steps " + k + " (expected >= 1)");
        }
        this.localSteps = k;
        return this;
    }

    /** The driver's model: the trained parameters after {@link #fit}. */
    public Module model() {
        return model;
    }

    /** The driver's optimizer (its state is the run's; unused with {@link #withLocalSteps local steps}). */
    public Optimizer optimizer() {
        return optimizer;
    }

    /**
     * Trains for {@code epochs} epochs on {@code data}: an epoch is {@code min_p floor(n_p / b)}
     * steps, {@code n_p} the examples in partition {@code p}, so every partition contributes
     * {@code b = batchPerPartition} examples to every step (the rest of a larger shard waits for a
     * later epoch's permutation).
     *
     * <p>Before the first step one Spark job builds every replica and checks every shard; any
     * problem is reported in one exception and nothing is trained. After the last epoch, one more
     * job sets the driver's batch-norm running statistics to the exact statistics over all
     * partitions (see the class comment).
     *
     * @return each epoch's mean training loss and accuracy (over the examples used), examples per
     *     second and seconds (test accuracy and GC time NaN)
     * @throws IllegalArgumentException before any step if {@code batchPerPartition} or
     *     {@code epochs} is below 1 or a module cannot train on {@code batchPerPartition} examples
     *     ({@link Module#trainingBatchProblem}), the model's output for one example is not
     *     {@code [1, classes]}, a partition holds fewer than {@code batchPerPartition}
     *     examples, an example has another length than the input shape or a label outside the
     *     model's outputs, or the factory gives a replica other parameter shapes than the driver's
     * @throws IllegalStateException if a step's loss is NaN or infinite (the parameters are those
     *     before that step)
     */
    public List<EpochMetrics> fit(JavaRDD<Example> data, int batchPerPartition, int epochs) {
        Objects.requireNonNull(data, "SparkTrainer: data is null");
        if (batchPerPartition < 1) {
            throw new IllegalArgumentException("SparkTrainer: invalid batch per partition " + batchPerPartition
                    + " (expected >= 1)");
        }
        if (epochs < 1) {
            throw new IllegalArgumentException("SparkTrainer: invalid number of epochs " + epochs + " (expected >= 1)");
        }
        for (Module m : model.modules()) {
            Optional<String> problem = m.trainingBatchProblem(batchPerPartition);
            if (problem.isPresent()) {
                throw new IllegalArgumentException("SparkTrainer: batch per partition " + batchPerPartition + ", but "
                        + m + " " + problem.get() + " on each replica");
            }
        }
        boolean persisted = data.getStorageLevel().equals(StorageLevel.NONE());
        if (persisted) {
            data.persist(StorageLevel.MEMORY_AND_DISK());
        }
        String job = "grad4j-" + UUID.randomUUID();
        try {
            int classes = classes();
            int steps = setUp(data, job, batchPerPartition, classes);
            List<EpochMetrics> history = train(data, job, batchPerPartition, classes, steps, epochs);
            recalibrate(data, job, batchPerPartition, classes);
            return history;
        } finally {
            data.mapPartitions(it -> {
                Replica.forget(job);
                return Collections.emptyIterator();
            }).count();
            Replica.forget(job);
            if (persisted) {
                data.unpersist(false);
            }
        }
    }

    /** Builds and checks every replica; returns the steps per epoch. */
    private int setUp(JavaRDD<Example> data, String job, int batch, int classes) {
        ModelFactory f = factory;
        int[] shape = inputShape;
        long s = seed;
        List<ShardInfo> infos = data.mapPartitionsWithIndex((p, it) -> {
            ShardInfo info;
            try {
                Replica r = Replica.get(job, p, it, f, shape, classes, s);
                info = new ShardInfo(p, r.count(), FlatParameters.shapes(r.model.parameters()), null);
            } catch (IllegalArgumentException e) {
                info = new ShardInfo(p, 0, List.of(), e.getMessage());
            }
            return List.of(info).iterator();
        }, true).collect();
        List<String> expected = FlatParameters.shapes(model.parameters());
        List<String> problems = new ArrayList<>();
        int steps = Integer.MAX_VALUE;
        for (ShardInfo info : infos) {
            if (info.error() != null) {
                problems.add(info.error());
            } else if (info.count() < batch) {
                problems.add("SparkTrainer: partition " + info.partition() + " holds " + info.count()
                        + " examples, fewer than the batch of " + batch + " per partition");
            } else if (!info.shapes().equals(expected)) {
                problems.add("SparkTrainer: the model factory gave partition " + info.partition()
                        + " parameter shapes " + info.shapes() + ", the driver's are " + expected);
            } else {
                steps = Math.min(steps, info.count() / batch);
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        return steps;
    }

    /**
     * Sets the driver's batch-norm running statistics to the exact mean and unbiased variance of
     * each layer's inputs over every partition's full batches, at the trained parameters: each
     * partition measures its shard ({@link BatchNorms#moments}), the driver merges them in
     * partition order. (The running statistics the replicas update while training are those of
     * their shard only, and are dropped.)
     */
    private void recalibrate(JavaRDD<Example> data, String job, int batch, int classes) {
        boolean any = model.modules().stream()
                .anyMatch(m -> m instanceof BatchNorm && ((BatchNorm) m).trackRunningStats() && !((BatchNorm) m).isFrozen());
        if (!any) {
            return;
        }
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(data.context());
        Broadcast<float[]> values = sc.broadcast(FlatParameters.values(model.parameters()));
        ModelFactory f = factory;
        int[] shape = inputShape;
        long s = seed;
        List<Map<String, PooledMoments>> shards;
        try {
            shards = data.mapPartitionsWithIndex((p, it) -> List.of(
                    Replica.get(job, p, it, f, shape, classes, s).moments(values.value(), batch)).iterator(), true)
                    .collect();
        } finally {
            values.destroy();
        }
        Map<String, PooledMoments> pooled = shards.get(0);
        for (Map<String, PooledMoments> shard : shards.subList(1, shards.size())) {
            pooled.forEach((name, m) -> m.merge(shard.get(name)));
        }
        BatchNorms.setRunningStatistics(model, pooled);
    }

    /** The number of classes: the width of the model's output for one zero input. */
    private int classes() {
        int[] dims = new int[inputShape.length + 1];
        dims[0] = 1;
        System.arraycopy(inputShape, 0, dims, 1, inputShape.length);
        boolean wasTraining = model.isTraining();
        try (Tape.NoGrad off = Tape.noGrad()) {
            Tensor out = model.eval().forward(Tensor.zeros(dims));
            if (out.rank() != 2) {
                throw new IllegalArgumentException("SparkTrainer: " + model.typeName() + " gives output "
                        + out.shape() + " for input " + Arrays.toString(dims) + ", expected logits [1, classes]");
            }
            return out.dim(1);
        } finally {
            model.train(wasTraining);
        }
    }

    private List<EpochMetrics> train(JavaRDD<Example> data, String job, int batch, int classes, int steps,
                                    int epochs) {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(data.context());
        ModelFactory f = factory;
        int[] shape = inputShape;
        long s = seed;
        int partitions = data.getNumPartitions();
        List<Tensor> params = model.parameters();
        OptimizerFactory of = optimizerFactory;
        int localSteps = this.localSteps;
        List<EpochMetrics> history = new ArrayList<>();
        for (int epoch = 1; epoch <= epochs; epoch++) {
            long start = System.nanoTime();
            double lossSum = 0;
            long correct = 0;
            long seen = 0;
            for (int step = 0; step < steps; step += Math.max(1, localSteps)) {
                Broadcast<float[]> values = sc.broadcast(FlatParameters.values(params));
                int e = epoch;
                int t = step;
                int k = localSteps == 0 ? 0 : Math.min(localSteps, steps - step);
                Contribution total;
                try {
                    total = data.mapPartitionsWithIndex((p, it) -> {
                        Replica r = Replica.get(job, p, it, f, shape, classes, s);
                        Contribution c = k == 0 ? r.gradient(values.value(), e, t, batch)
                                : r.localSteps(values.value(), of, e, t, k, batch);
                        return List.of(c).iterator();
                    }, true).treeAggregate(new GradientSum(partitions), GradientSum::add, GradientSum::merge, 2).total();
                } finally {
                    values.destroy();
                }
                double loss = total.lossSum() / total.count();
                if (!Double.isFinite(loss)) {
                    throw new IllegalStateException("SparkTrainer: the loss of epoch " + epoch + " step " + (step + 1)
                            + " is " + loss + "; the parameters are those before that step");
                }
                float[] mean = new float[total.gradient().length];
                for (int i = 0; i < mean.length; i++) {
                    mean[i] = (float) (total.gradient()[i] / total.count());
                }
                if (k == 0) {
                    FlatParameters.setGradients(params, mean);
                    optimizer.step();
                } else {
                    FlatParameters.set(params, mean);
                }
                lossSum += total.lossSum();
                correct += total.correct();
                seen += total.count();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            history.add(new EpochMetrics(epoch, lossSum / seen, (double) correct / seen, Double.NaN, seen / seconds,
                    seconds));
        }
        return history;
    }
}
