package org.grad4j.train;

/**
 * Training produced a loss that is NaN or infinite from finite inputs (a non-finite input is
 * reported before the forward pass, as an {@link IllegalArgumentException}). The parameters were
 * not updated with it and the running statistics its forward pass changed were put back, so the
 * model is as after the last good step; the metrics of the epochs that finished before are kept by
 * the listeners that wrote them, and the last checkpoint is that of the last finished epoch.
 */
public final class TrainingDivergedException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int epoch;
    private final int step;

    TrainingDivergedException(int epoch, int step, float loss, int lastFiniteStep, double lastFinite, double lr) {
        super(String.format(java.util.Locale.ROOT,
                "training diverged at epoch %d, step %d: loss is %s (%s); try a lower learning rate than %s",
                epoch, step, loss, lastFiniteStep > 0
                        ? String.format(java.util.Locale.ROOT, "last finite loss %.4f at step %d", lastFinite, lastFiniteStep)
                        : "no finite loss before it", lr));
        this.epoch = epoch;
        this.step = step;
    }

    /** The epoch, from 1. */
    public int epoch() {
        return epoch;
    }

    /** The step within the epoch, from 1. */
    public int step() {
        return step;
    }
}
