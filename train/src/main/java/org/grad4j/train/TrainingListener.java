package org.grad4j.train;

import java.util.List;

/**
 * Hears what a {@link Trainer} does. Printing, metrics files and plots are listeners, so the
 * training loop itself prints nothing. All methods have empty defaults.
 */
public interface TrainingListener {
    /**
     * Training starts (or resumes).
     *
     * @param firstEpoch the first epoch to run, counted from 1 (greater than 1 after a resume)
     * @param lastEpoch the last epoch to run
     * @param batchesPerEpoch training batches per epoch
     */
    default void onTrainingStart(int firstEpoch, int lastEpoch, int batchesPerEpoch) {
    }

    /**
     * Training starts (or resumes), reporting {@code metric}; the Trainer calls this form, which
     * by default calls {@link #onTrainingStart(int, int, int)}.
     *
     * @param firstEpoch the first epoch to run, counted from 1 (greater than 1 after a resume)
     * @param lastEpoch the last epoch to run
     * @param batchesPerEpoch training batches per epoch
     * @param metric the {@link Metric#name() name} of the metric that {@link #onBatchEnd} reports
     */
    default void onTrainingStart(int firstEpoch, int lastEpoch, int batchesPerEpoch, String metric) {
        onTrainingStart(firstEpoch, lastEpoch, batchesPerEpoch);
    }

    /**
     * A training batch finished.
     *
     * @param epoch the epoch, from 1
     * @param batch the batch within the epoch, from 1
     * @param batches batches per epoch
     * @param loss the mean training loss of the epoch so far
     * @param metric the training metric of the epoch so far (accuracy unless the Trainer was
     *     given another {@link Metric})
     */
    default void onBatchEnd(int epoch, int batch, int batches, double loss, double metric) {
    }

    /** An epoch finished, evaluation included. {@code history} holds every epoch so far, this one last. */
    default void onEpochEnd(EpochMetrics metrics, List<EpochMetrics> history) {
    }

    /** Training finished normally. */
    default void onTrainingEnd(List<EpochMetrics> history) {
    }
}
