package org.grad4j.train;

import org.grad4j.core.Functional;
import org.grad4j.core.Tensor;
import org.grad4j.data.Batch;

/**
 * What the {@link Trainer} minimises: a scalar tensor from the model's output and the batch's
 * targets, recorded on the tape so that it can be backpropagated. Any {@link Functional} loss
 * with a {@code MEAN} reduction is one, and so is a user's own composition of tensor ops.
 *
 * <pre>{@code
 * trainer.withLoss(Loss.mse());                                        // float targets
 * trainer.withLoss((out, b) -> Functional.smoothL1Loss(out, b.targets(), Reduction.MEAN, 0.5));
 * }</pre>
 */
@FunctionalInterface
public interface Loss {
    /**
     * The batch's loss.
     *
     * @param output the model's output for {@code batch.features()}, e.g. logits {@code [B, C]}
     * @param batch the batch, whose {@link Batch#labels()} or {@link Batch#targets()} it reads
     * @return a scalar tensor (shape {@code []}), the mean over the batch for the epoch's mean
     *     training loss to be meaningful
     */
    Tensor apply(Tensor output, Batch batch);

    /**
     * Cross-entropy of logits {@code [B, C]} against the batch's class labels, the mean
     * ({@link Functional#crossEntropy(Tensor, int[])}): the Trainer's default.
     *
     * @return the loss
     */
    static Loss crossEntropy() {
        return crossEntropy(0);
    }

    /**
     * Cross-entropy with label smoothing {@code epsilon}
     * ({@link Functional#crossEntropy(Tensor, int[], Functional.Reduction, double)}).
     *
     * @param epsilon in {@code [0, 1]}
     * @return the loss
     * @throws IllegalArgumentException if {@code epsilon} is outside {@code [0, 1]}
     */
    static Loss crossEntropy(double epsilon) {
        if (!(epsilon >= 0 && epsilon <= 1)) {
            throw new IllegalArgumentException("Trainer: invalid label smoothing " + epsilon + " (expected 0 to 1)");
        }
        return named("CrossEntropyLoss(label_smoothing=" + epsilon + ")",
                (output, batch) -> Functional.crossEntropy(output, batch.labels(), Functional.Reduction.MEAN, epsilon));
    }

    /**
     * The mean squared error of the output against the batch's float targets of the same shape
     * ({@link Functional#mseLoss}).
     *
     * @return the loss
     */
    static Loss mse() {
        return named("MSELoss()", (output, batch) -> Functional.mseLoss(output, batch.targets(),
                Functional.Reduction.MEAN));
    }

    /** {@code f} with {@code description} as its {@code toString}, which checkpoints record. */
    private static Loss named(String description, Loss f) {
        return new Loss() {
            @Override
            public Tensor apply(Tensor output, Batch batch) {
                return f.apply(output, batch);
            }

            @Override
            public String toString() {
                return description;
            }
        };
    }
}
