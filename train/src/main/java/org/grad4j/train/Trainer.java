package org.grad4j.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import org.grad4j.core.Shape;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;
import org.grad4j.data.Batch;
import org.grad4j.data.DataLoader;
import org.grad4j.layers.Dropout;
import org.grad4j.layers.Module;

/**
 * The training loop of d2l's {@code train_ch6}: per epoch, every training batch is one tape scope
 * (forward, the {@link Loss}, backward) followed by an optimizer step; the loss and the
 * {@link Metric} are averaged over the epoch in training mode; the test metric is measured in eval
 * mode with no tape; examples per second count training compute only. The loss is cross-entropy
 * from logits and the metric accuracy unless {@link #withLoss} and {@link #withMetric} say
 * otherwise, so a regression model trains with {@code withLoss(Loss.mse())} and
 * {@code withMetric(Metric.meanSquaredError())}.
 *
 * <pre>{@code
 * Trainer trainer = new Trainer(net, new SGD(net.parameters(), 1.0))
 *         .addListener(ConsoleReporter.toStandardOutput());
 * List<EpochMetrics> history = trainer.fit(trainLoader, testLoader, 10);
 * }</pre>
 *
 * <p>Runs are reproducible: batches come in the order the loaders derive from their seed and the
 * epoch, and every {@link Dropout} layer is given a generator derived from {@link #withSeed the
 * seed} and the epoch at the start of each epoch. So a run resumed from a {@link Checkpoint}
 * continues exactly as the uninterrupted run would have.
 *
 * <p>Every batch is checked before it is used: an image with a NaN or infinite value stops
 * training (and evaluation) with a message naming the epoch, the step, the image and the element,
 * and the model's weights and running statistics stay as they were before that batch. A loss that
 * goes non-finite from finite inputs stops training too ({@link TrainingDivergedException}); the
 * running statistics that batch's forward pass updated are put back, so the model in memory and
 * the last checkpoint are the state after the last good step and the last finished epoch.
 */
public final class Trainer {
    /** The run-configuration keys the Trainer records itself, in the order they are written. */
    private static final List<String> OWN_CONFIG = List.of("seed", "lr", "schedule", "clip_norm", "loss", "metric",
            "optimizer", "batch_size", "train_examples", "train_batches");
    private final Module net;
    private final Optimizer optimizer;
    /** The base learning rate of each parameter group, which schedules start from. */
    private final double[] baseLrs;
    /** The optimizer's hyper-parameters as they were at construction, before any schedule ran. */
    private final String optimizerConfig;
    private final List<TrainingListener> listeners = new ArrayList<>();
    private LearningRateSchedule schedule = LearningRateSchedule.constant();
    private boolean schedulePerStep;
    private double clipNorm = Double.NaN;
    private Loss loss = Loss.crossEntropy();
    private Metric metric = Metric.accuracy();
    private long seed;
    private Path checkpointFile;
    private List<EpochMetrics> history = new ArrayList<>();
    private final Map<String, String> appConfig = new LinkedHashMap<>();
    /** The checkpoint {@link #resumeFrom} restored, whose configuration the next fit checks. */
    private Checkpoint resumed;

    /**
     * Trains {@code net} with {@code optimizer}; the optimizer's current learning rates (one per
     * parameter group) are the base rates.
     */
    public Trainer(Module net, Optimizer optimizer) {
        this.net = net;
        this.optimizer = optimizer;
        this.baseLrs = optimizer.learningRates();
        this.optimizerConfig = describe(optimizer, optimizer.getClass().getName());
    }

    /** Sets the learning rate per epoch (the schedule counts epochs from 0); returns {@code this}. */
    public Trainer withSchedule(LearningRateSchedule schedule) {
        this.schedule = schedule;
        this.schedulePerStep = false;
        return this;
    }

    /**
     * Sets the learning rate before every optimizer step, as PyTorch's {@code OneCycleLR} is used;
     * the schedule counts steps from 0 over the whole run ({@code (epoch - 1) * batchCount + batch}).
     * Replaces a per-epoch schedule; returns {@code this}.
     */
    public Trainer withStepSchedule(LearningRateSchedule schedule) {
        this.schedule = schedule;
        this.schedulePerStep = true;
        return this;
    }

    /**
     * Clips the gradients to a total 2-norm of {@code maxNorm} before every step
     * ({@link Gradients#clipNorm(List, double)}); returns {@code this}.
     *
     * @throws IllegalArgumentException if {@code maxNorm} is not positive and finite
     */
    public Trainer withGradientClipping(double maxNorm) {
        if (!(maxNorm > 0) || !Double.isFinite(maxNorm)) {
            throw new IllegalArgumentException("Trainer: invalid max gradient norm " + maxNorm + " (expected > 0)");
        }
        this.clipNorm = maxNorm;
        return this;
    }

    /**
     * Uses cross-entropy with label smoothing {@code epsilon} (PyTorch's formula) as the loss: the
     * same as {@code withLoss(Loss.crossEntropy(epsilon))}; returns {@code this}.
     *
     * @throws IllegalArgumentException if {@code epsilon} is outside [0, 1]
     */
    public Trainer withLabelSmoothing(double epsilon) {
        return withLoss(Loss.crossEntropy(epsilon));
    }

    /**
     * Minimises {@code loss} instead of cross-entropy; returns {@code this}.
     *
     * @param loss the loss of the model's output and the batch, a scalar
     * @throws NullPointerException if {@code loss} is null
     */
    public Trainer withLoss(Loss loss) {
        this.loss = java.util.Objects.requireNonNull(loss, "Trainer: loss");
        return this;
    }

    /**
     * Reports {@code metric} instead of accuracy, for training batches and the test set, in
     * {@link EpochMetrics} and to listeners; returns {@code this}.
     *
     * @param metric the metric
     * @throws IllegalArgumentException if its name is not lower case letters, digits and underscores
     * @throws NullPointerException if {@code metric} is null
     */
    public Trainer withMetric(Metric metric) {
        java.util.Objects.requireNonNull(metric, "Trainer: metric");
        EpochMetrics.requireMetricName(metric.name());
        this.metric = metric;
        return this;
    }

    /** The seed that dropout generators are derived from (recorded in checkpoints); returns {@code this}. */
    public Trainer withSeed(long seed) {
        this.seed = seed;
        return this;
    }

    /**
     * Writes a {@link Checkpoint} to {@code file} after every epoch (atomically, see
     * {@link org.grad4j.core.io.AtomicFiles}); {@link #fit} checks the path before the first step.
     * Returns {@code this}.
     */
    public Trainer withCheckpoint(Path file) {
        this.checkpointFile = file;
        return this;
    }

    /**
     * Adds an entry to the run configuration that checkpoints record and {@link #resumeFrom}
     * compares: the options of the application that change what training computes (a model
     * variant, an input size, a data subset). The Trainer itself records {@code seed}, {@code lr}
     * (the base rate, or the list of the groups' base rates), {@code schedule} (with
     * {@code " per step"} for a {@link #withStepSchedule step schedule}), {@code clip_norm},
     * {@code loss} ({@code custom} for a loss without a {@code toString}), {@code metric} (its
     * name), {@code optimizer} (its {@code toString} at construction),
     * {@code batch_size}, {@code train_examples} and {@code train_batches}. Returns {@code this}.
     *
     * @throws IllegalArgumentException if {@code key} is empty or one the Trainer records itself,
     *     or was added before
     * @throws NullPointerException if an argument is null
     */
    public Trainer withConfig(String key, String value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        if (key.isEmpty() || OWN_CONFIG.contains(key) || appConfig.containsKey(key)) {
            throw new IllegalArgumentException("Trainer: configuration key '" + key + "' is "
                    + (key.isEmpty() ? "empty" : appConfig.containsKey(key) ? "already set"
                            : "recorded by the Trainer itself") + " (the Trainer records " + OWN_CONFIG + ")");
        }
        appConfig.put(key, value);
        return this;
    }

    /** The configuration of a run on {@code train}: the Trainer's own keys, then the application's. */
    private Map<String, String> runConfig(DataLoader train) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("seed", Long.toString(seed));
        c.put("lr", baseLrs.length == 1 ? Double.toString(baseLrs[0]) : Arrays.toString(baseLrs));
        c.put("schedule", describe(schedule, "custom") + (schedulePerStep ? " per step" : ""));
        c.put("clip_norm", Double.isNaN(clipNorm) ? "none" : Double.toString(clipNorm));
        c.put("loss", describe(loss, "custom"));
        c.put("metric", metric.name());
        c.put("optimizer", optimizerConfig);
        c.put("batch_size", Integer.toString(train.batchSize()));
        c.put("train_examples", Integer.toString(train.dataset().size()));
        c.put("train_batches", Integer.toString(train.batchCount()));
        c.putAll(appConfig);
        return c;
    }

    /**
     * {@code o.toString()} if its class declares one (the built-in schedules and SGD do), else
     * {@code fallback}: Object's {@code toString} holds a hash code that differs from run to run.
     * For the run configuration and {@link LearningRateSchedule#then}'s description.
     */
    static String describe(Object o, String fallback) {
        try {
            return o.getClass().getMethod("toString").getDeclaringClass() == Object.class ? fallback : o.toString();
        } catch (NoSuchMethodException e) {
            throw new AssertionError(e);
        }
    }

    /** Adds a listener; returns {@code this}. */
    public Trainer addListener(TrainingListener listener) {
        listeners.add(listener);
        return this;
    }

    /**
     * Continues from a checkpoint: the next {@link #fit} first compares the checkpoint's recorded
     * configuration with this run's (see {@link #withConfig}; the batch size and the training set
     * are known only then) and names every difference in one message, then loads the model and
     * optimizer state, which parameters are frozen ({@link Checkpoint#restore}) and the metrics
     * history, and starts at the epoch after the checkpoint's; all before any training. A version 1 checkpoint records only the seed: the other settings are then
     * not checked. Returns {@code this}.
     */
    public Trainer resumeFrom(Checkpoint checkpoint) {
        resumed = Objects.requireNonNull(checkpoint, "checkpoint");
        return this;
    }

    /** The epochs finished so far, including those restored from a checkpoint (by the fit after {@link #resumeFrom}). */
    public List<EpochMetrics> history() {
        return List.copyOf(history);
    }

    /**
     * Trains until {@code epochs} epochs are done in total (counting those restored from a
     * checkpoint), evaluating on {@code test} after each (skipped when {@code test} is null).
     *
     * @return the metrics of every epoch, restored ones included
     * @throws TrainingDivergedException if a loss is NaN or infinite
     * @throws IllegalArgumentException if {@code epochs} is not positive, or the schedule does not
     *     cover the run (a one-cycle shorter than it), before the first step; or, before any work,
     *     if {@code train} has no batch or a batch (a full one or the last) that some module
     *     cannot train on ({@link Module#trainingBatchProblem}), or this run's configuration differs
     *     from that of the checkpoint it resumes (naming every difference) or the checkpoint does not
     *     fit the model or the optimizer, or the history restored from it reports another metric
     *     than this Trainer's; or, before the batch is used, if an example of {@code train} or
     *     {@code test} holds a NaN or infinite value (naming the epoch, the step, the example and the
     *     element)
     * @throws java.io.UncheckedIOException naming the file if the checkpoint cannot be written: before
     *     the first step when the path is wrong (a missing directory, a directory, a device), else
     *     after the epoch whose checkpoint failed
     */
    public List<EpochMetrics> fit(DataLoader train, DataLoader test, int epochs) {
        if (epochs < 1) {
            throw new IllegalArgumentException("Trainer: invalid number of epochs " + epochs + " (expected >= 1)");
        }
        requireTrainableBatches(train);
        Map<String, String> config = runConfig(train);
        if (resumed != null) {
            resumed.checkConfig(config);
            resumed.restore(net, optimizer);
            history = new ArrayList<>(resumed.history());
            resumed = null;
        }
        if (!history.isEmpty() && !history.get(history.size() - 1).metric().equals(metric.name())) {
            throw new IllegalArgumentException("resume: the checkpoint's history reports "
                    + history.get(history.size() - 1).metric() + ", this run reports " + metric.name()
                    + "; give the Trainer the same metric");
        }
        int first = history.size() + 1;
        if (checkpointFile != null) {
            OutputFiles.prepare("checkpoint", checkpointFile);
        }
        // A schedule that does not cover the run (a one-cycle too short) fails now, not after an epoch.
        scheduled(schedulePerStep ? epochs * train.batchCount() - 1 : epochs - 1);
        for (TrainingListener l : listeners) {
            l.onTrainingStart(first, epochs, train.batchCount(), metric.name());
        }
        for (int epoch = first; epoch <= epochs; epoch++) {
            long start = System.nanoTime();
            double gcStart = EpochMetrics.gcSecondsSoFar();
            if (!schedulePerStep) {
                optimizer.setLearningRates(scheduled(epoch - 1));
            }
            seedDropout(epoch);
            double[] trained = trainEpoch(train, epoch);
            double testMetric = test == null ? Double.NaN : evaluate(net, test, metric);
            double seconds = (System.nanoTime() - start) / 1e9;
            // Whole milliseconds, as the JVM reports them (no 0.043000000000000001 from the subtraction).
            double gc = Math.round((EpochMetrics.gcSecondsSoFar() - gcStart) * 1000) / 1000.0;
            EpochMetrics m = new EpochMetrics(epoch, trained[0], trained[1], testMetric, trained[2], seconds, gc,
                    Double.NaN, metric.name());
            history.add(m);
            if (checkpointFile != null) {
                try {
                    Checkpoint.save(checkpointFile, net, optimizer, config, history);
                } catch (IOException e) {
                    throw OutputFiles.cannotWrite("checkpoint", checkpointFile, e);
                }
            }
            List<EpochMetrics> soFar = List.copyOf(history);
            for (TrainingListener l : listeners) {
                l.onEpochEnd(m, soFar);
            }
        }
        List<EpochMetrics> all = List.copyOf(history);
        for (TrainingListener l : listeners) {
            l.onTrainingEnd(all);
        }
        return all;
    }

    /**
     * Refuses, before any work, a loader with no batch or with one that some module cannot train
     * on: the loader produces at most two batch sizes, the full one and the last.
     */
    private void requireTrainableBatches(DataLoader train) {
        int n = train.dataset().size();
        int size = train.batchSize();
        int batches = train.batchCount();
        if (batches == 0) {
            throw new IllegalArgumentException("Trainer: the training loader has no batch: " + n
                    + " samples, batch size " + size + ", the last partial batch dropped");
        }
        int last = Math.min(size, n - (batches - 1) * size); // drop-last leaves only full batches
        boolean fullBatches = last == size || batches > 1;
        for (Module m : net.modules()) {
            Optional<String> problem = m.trainingBatchProblem(size);
            if (fullBatches && problem.isPresent()) {
                throw new IllegalArgumentException("Trainer: batch size " + size + ", but " + m + " " + problem.get());
            }
        }
        if (last == size) {
            return;
        }
        for (Module m : net.modules()) {
            Optional<String> problem = m.trainingBatchProblem(last);
            if (problem.isPresent()) {
                throw new IllegalArgumentException(fullBatches
                        ? "Trainer: the last training batch of each epoch holds " + last + " of " + n
                                + " examples (batch size " + size + "), but " + m + " " + problem.get()
                                + "; drop it with DataLoader.withDropLast(true) or choose another batch size"
                        : "Trainer: the only training batch holds all " + n + " examples (batch size " + size
                                + "), but " + m + " " + problem.get());
            }
        }
    }

    /** One epoch of training: returns {mean loss, metric, examples per second of compute}. */
    private double[] trainEpoch(DataLoader train, int epoch) {
        net.train();
        double lossSum = 0;
        double metricTotal = 0;
        long metricCount = 0;
        long seen = 0;
        long computeNanos = 0;
        int batches = train.batchCount();
        int step = 0;
        double lastFinite = Double.NaN;
        List<Tensor> buffers = List.copyOf(net.namedBuffers().values());
        Tensor[] saved = new Tensor[buffers.size()];
        for (int i = 0; i < saved.length; i++) {
            saved[i] = buffers.get(i).copy();
        }
        try (DataLoader.Epoch it = train.epoch(epoch - 1)) {
            while (it.hasNext()) {
                Batch batch = it.next();
                step++;
                checkFinite(batch, train, epoch, step);
                long t0 = System.nanoTime();
                for (int i = 0; i < saved.length; i++) {
                    saved[i].copyFrom(buffers.get(i));
                }
                optimizer.zeroGrad();
                Tensor output;
                Tensor batchLoss;
                try (Tape tape = Tape.record()) {
                    output = net.forward(batch.features());
                    batchLoss = loss.apply(output, batch);
                    requireScalar(batchLoss);
                    batchLoss.backward();
                }
                float l = batchLoss.item();
                if (schedulePerStep) {
                    optimizer.setLearningRates(scheduled((epoch - 1) * batches + step - 1));
                }
                if (!Float.isFinite(l)) {
                    // The forward pass updated the running statistics with this batch; the step is not taken.
                    for (int i = 0; i < saved.length; i++) {
                        buffers.get(i).copyFrom(saved[i]);
                    }
                    throw new TrainingDivergedException(epoch, step, l, step - 1, lastFinite, optimizer.learningRate());
                }
                if (!Double.isNaN(clipNorm)) {
                    Gradients.clipNorm(optimizer.parameters(), clipNorm);
                }
                optimizer.step();
                computeNanos += System.nanoTime() - t0;
                lastFinite = l;
                lossSum += (double) l * batch.size();
                Metric.Sum measured = metric.measure(output, batch);
                metricTotal += measured.total();
                metricCount += measured.count();
                seen += batch.size();
                for (TrainingListener listener : listeners) {
                    listener.onBatchEnd(epoch, step, batches, lossSum / seen, metricTotal / metricCount);
                }
            }
        }
        return new double[] {lossSum / seen, metricTotal / metricCount, seen / (computeNanos / 1e9)};
    }

    private static void requireScalar(Tensor loss) {
        if (loss == null || loss.shape().rank() != 0) {
            throw new IllegalArgumentException("Trainer: the loss gave " + (loss == null ? "null" : "shape " + loss.shape())
                    + ", expected a scalar (shape []): reduce it with Reduction.MEAN");
        }
    }

    /**
     * The fraction of {@code data} that {@code net} classifies correctly, in eval mode with grad mode
     * off; the module's previous mode is restored. The same as {@code evaluate(net, data, Metric.accuracy())}.
     */
    public static double accuracy(Module net, DataLoader data) {
        return evaluate(net, data, Metric.accuracy());
    }

    /**
     * {@code metric} over {@code data} (epoch 0 of the loader), in eval mode with grad mode off;
     * the module's previous mode is restored.
     *
     * @return {@code sum of totals / sum of counts} over the batches; NaN for a loader without batches
     */
    public static double evaluate(Module net, DataLoader data, Metric metric) {
        boolean wasTraining = net.isTraining();
        net.eval();
        double total = 0;
        long count = 0;
        int step = 0;
        try (Tape.NoGrad off = Tape.noGrad(); DataLoader.Epoch it = data.epoch(0)) {
            while (it.hasNext()) {
                Batch batch = it.next();
                step++;
                checkFinite(batch, data, 0, step);
                Metric.Sum measured = metric.measure(net.forward(batch.features()), batch);
                total += measured.total();
                count += measured.count();
            }
        } finally {
            net.train(wasTraining);
        }
        return total / count;
    }

    /**
     * Rejects batch {@code step} (from 1) of training epoch {@code epoch} (from 1; 0 for an
     * evaluation) if it holds a NaN or infinite value, naming the example (in the batch and,
     * through the loader's order, in the dataset) and the element; a single pass over the values.
     */
    private static void checkFinite(Batch batch, DataLoader loader, int epoch, int step) {
        Tensor features = batch.features();
        int bad = features.indexOfNonFinite();
        if (bad < 0) {
            return;
        }
        int perExample = features.size() / batch.size();
        int example = bad / perExample;
        int index = loader.order(Math.max(epoch - 1, 0))[(step - 1) * loader.batchSize() + example];
        int[] dims = features.shape().dims();
        Shape one = Shape.of(Arrays.copyOfRange(dims, 1, dims.length));
        String what = "example " + example + " of the batch (dataset index " + index + ") holds "
                + features.toArray()[bad] + Checkpoint.coordinates(one, bad % perExample);
        throw new IllegalArgumentException(epoch == 0 ? "evaluation input: batch " + step + ": " + what
                : "training input: epoch " + epoch + ", step " + step + ": " + what
                        + "; nothing was trained on it (weights and running statistics are as before this step)");
    }

    /** Each group's learning rate at epoch or step {@code t}: the schedule applied to its base rate. */
    private double[] scheduled(int t) {
        double[] lrs = new double[baseLrs.length];
        for (int g = 0; g < lrs.length; g++) {
            lrs[g] = schedule.at(t, baseLrs[g]);
        }
        return lrs;
    }

    /** Gives every dropout layer a generator that depends only on the seed, the epoch and its position. */
    private void seedDropout(int epoch) {
        int k = 0;
        for (Module m : net.modules()) {
            if (m instanceof Dropout) {
                ((Dropout) m).setRandom(new Random(seed * 1_000_003L + epoch * 1_009L + k++));
            }
        }
    }
}
