package org.grad4j.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.grad4j.core.Functional;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;
import org.grad4j.data.Batch;
import org.grad4j.data.DataLoader;
import org.grad4j.layers.Dropout;
import org.grad4j.layers.Module;

/**
 * The training loop of d2l's {@code train_ch6}: per epoch, every training batch is one tape scope
 * (forward, cross-entropy from logits, backward) followed by an optimizer step; loss and accuracy
 * are averaged over the epoch in training mode; test accuracy is measured in eval mode with no
 * tape; examples per second count training compute only.
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
 */
public final class Trainer {
    private final Module net;
    private final Optimizer optimizer;
    /** The base learning rate of each parameter group, which schedules start from. */
    private final double[] baseLrs;
    private final List<TrainingListener> listeners = new ArrayList<>();
    private LearningRateSchedule schedule = LearningRateSchedule.constant();
    private boolean schedulePerStep;
    private double clipNorm = Double.NaN;
    private double labelSmoothing;
    private long seed;
    private Path checkpointFile;
    private List<EpochMetrics> history = new ArrayList<>();

    /**
     * Trains {@code net} with {@code optimizer}; the optimizer's current learning rates (one per
     * parameter group) are the base rates.
     */
    public Trainer(Module net, Optimizer optimizer) {
        this.net = net;
        this.optimizer = optimizer;
        this.baseLrs = optimizer.learningRates();
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
     * Uses label smoothing {@code epsilon} in the cross-entropy (PyTorch's formula); returns {@code this}.
     *
     * @throws IllegalArgumentException if {@code epsilon} is outside [0, 1]
     */
    public Trainer withLabelSmoothing(double epsilon) {
        if (!(epsilon >= 0 && epsilon <= 1)) {
            throw new IllegalArgumentException("Trainer: invalid label smoothing " + epsilon + " (expected 0 to 1)");
        }
        this.labelSmoothing = epsilon;
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

    /** Adds a listener; returns {@code this}. */
    public Trainer addListener(TrainingListener listener) {
        listeners.add(listener);
        return this;
    }

    /**
     * Continues from a checkpoint: loads the model and optimizer state and the metrics history,
     * and the next {@link #fit} starts at the epoch after the checkpoint's. Returns {@code this}.
     *
     * @throws IllegalArgumentException if the checkpoint does not fit the model or the optimizer,
     *     or was written with another seed
     */
    public Trainer resumeFrom(Checkpoint checkpoint) {
        if (checkpoint.seed() != seed) {
            throw new IllegalArgumentException("resume: the checkpoint was written with seed " + checkpoint.seed()
                    + ", this run uses seed " + seed + "; the run would not continue exactly");
        }
        checkpoint.restore(net, optimizer);
        history = new ArrayList<>(checkpoint.history());
        return this;
    }

    /** The epochs finished so far, including those restored from a checkpoint. */
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
     *     if {@code train} has no batch or a batch smaller than some module can train on
     *     ({@link Module#minTrainingBatchSize()})
     * @throws java.io.UncheckedIOException naming the file if the checkpoint cannot be written: before
     *     the first step when the path is wrong (a missing directory, a directory, a device), else
     *     after the epoch whose checkpoint failed
     */
    public List<EpochMetrics> fit(DataLoader train, DataLoader test, int epochs) {
        if (epochs < 1) {
            throw new IllegalArgumentException("Trainer: invalid number of epochs " + epochs + " (expected >= 1)");
        }
        requireTrainableBatches(train);
        int first = history.size() + 1;
        if (checkpointFile != null) {
            OutputFiles.prepare("checkpoint", checkpointFile);
        }
        // A schedule that does not cover the run (a one-cycle too short) fails now, not after an epoch.
        scheduled(schedulePerStep ? epochs * train.batchCount() - 1 : epochs - 1);
        for (TrainingListener l : listeners) {
            l.onTrainingStart(first, epochs, train.batchCount());
        }
        for (int epoch = first; epoch <= epochs; epoch++) {
            long start = System.nanoTime();
            double gcStart = EpochMetrics.gcSecondsSoFar();
            if (!schedulePerStep) {
                optimizer.setLearningRates(scheduled(epoch - 1));
            }
            seedDropout(epoch);
            double[] trained = trainEpoch(train, epoch);
            double testAcc = test == null ? Double.NaN : accuracy(net, test);
            double seconds = (System.nanoTime() - start) / 1e9;
            // Whole milliseconds, as the JVM reports them (no 0.043000000000000001 from the subtraction).
            double gc = Math.round((EpochMetrics.gcSecondsSoFar() - gcStart) * 1000) / 1000.0;
            EpochMetrics m = new EpochMetrics(epoch, trained[0], trained[1], testAcc, trained[2], seconds, gc);
            history.add(m);
            if (checkpointFile != null) {
                try {
                    Checkpoint.save(checkpointFile, net, optimizer, seed, history);
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

    /** Refuses, before any work, a loader with no batch or with one that some module cannot train on. */
    private void requireTrainableBatches(DataLoader train) {
        int n = train.dataset().size();
        int size = train.batchSize();
        int batches = train.batchCount();
        if (batches == 0) {
            throw new IllegalArgumentException("Trainer: the training loader has no batch: " + n
                    + " images, batch size " + size + ", the last partial batch dropped");
        }
        int last = n - (batches - 1) * size;
        for (Module m : net.modules()) {
            int needed = m.minTrainingBatchSize();
            if (size < needed) {
                throw new IllegalArgumentException("Trainer: batch size " + size + ", but " + m + " needs at least "
                        + needed + " images per training batch");
            }
            if (last < needed) {
                throw new IllegalArgumentException("Trainer: the last training batch of each epoch holds " + last
                        + " of " + n + " images (batch size " + size + "), but " + m + " needs at least " + needed
                        + " images per training batch; drop it with DataLoader.withDropLast(true) or choose another batch size");
            }
        }
    }

    /** One epoch of training: returns {mean loss, accuracy, examples per second of compute}. */
    private double[] trainEpoch(DataLoader train, int epoch) {
        net.train();
        double lossSum = 0;
        long correct = 0;
        long seen = 0;
        long computeNanos = 0;
        int batches = train.batchCount();
        int step = 0;
        double lastFinite = Double.NaN;
        try (DataLoader.Epoch it = train.epoch(epoch - 1)) {
            while (it.hasNext()) {
                Batch batch = it.next();
                step++;
                long t0 = System.nanoTime();
                optimizer.zeroGrad();
                Tensor logits;
                Tensor loss;
                try (Tape tape = Tape.record()) {
                    logits = net.forward(batch.images());
                    loss = Functional.crossEntropy(logits, batch.labels(), Functional.Reduction.MEAN, labelSmoothing);
                    loss.backward();
                }
                float l = loss.item();
                if (schedulePerStep) {
                    optimizer.setLearningRates(scheduled((epoch - 1) * batches + step - 1));
                }
                if (!Float.isFinite(l)) {
                    throw new TrainingDivergedException(epoch, step, l, step - 1, lastFinite, optimizer.learningRate());
                }
                if (!Double.isNaN(clipNorm)) {
                    Gradients.clipNorm(optimizer.parameters(), clipNorm);
                }
                optimizer.step();
                computeNanos += System.nanoTime() - t0;
                lastFinite = l;
                lossSum += (double) l * batch.size();
                correct += countCorrect(logits, batch.labels());
                seen += batch.size();
                for (TrainingListener listener : listeners) {
                    listener.onBatchEnd(epoch, step, batches, lossSum / seen, (double) correct / seen);
                }
            }
        }
        return new double[] {lossSum / seen, (double) correct / seen, seen / (computeNanos / 1e9)};
    }

    /**
     * The fraction of {@code data} that {@code net} classifies correctly, in eval mode with grad mode
     * off; the module's previous mode is restored.
     */
    public static double accuracy(Module net, DataLoader data) {
        boolean wasTraining = net.isTraining();
        net.eval();
        long correct = 0;
        long seen = 0;
        try (Tape.NoGrad off = Tape.noGrad(); DataLoader.Epoch it = data.epoch(0)) {
            while (it.hasNext()) {
                Batch batch = it.next();
                correct += countCorrect(net.forward(batch.images()), batch.labels());
                seen += batch.size();
            }
        } finally {
            net.train(wasTraining);
        }
        return (double) correct / seen;
    }

    /** How many rows of {@code logits} [N, C] have their maximum at the label. */
    static long countCorrect(Tensor logits, int[] labels) {
        int[] predicted = logits.argmax(1);
        long correct = 0;
        for (int i = 0; i < labels.length; i++) {
            if (predicted[i] == labels[i]) {
                correct++;
            }
        }
        return correct;
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
