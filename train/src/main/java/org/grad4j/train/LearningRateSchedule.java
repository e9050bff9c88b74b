package org.grad4j.train;

/**
 * The learning rate for each epoch (counted from 0), as a pure function of the epoch: resuming
 * from a checkpoint needs no schedule state.
 */
@FunctionalInterface
public interface LearningRateSchedule {
    /** The learning rate for {@code epoch} (0-based) given the base rate. */
    double at(int epoch, double baseLr);

    /** The base rate at every epoch. */
    static LearningRateSchedule constant() {
        return (epoch, base) -> base;
    }

    /**
     * PyTorch's {@code StepLR}: {@code base * gamma^floor(epoch / stepSize)}.
     *
     * @throws IllegalArgumentException if {@code stepSize < 1} or {@code gamma} is not in (0, 1]
     */
    static LearningRateSchedule step(int stepSize, double gamma) {
        if (stepSize < 1) {
            throw new IllegalArgumentException("step schedule: invalid step size " + stepSize + " (expected >= 1)");
        }
        if (!(gamma > 0 && gamma <= 1)) {
            throw new IllegalArgumentException("step schedule: invalid gamma " + gamma + " (expected 0 < gamma <= 1)");
        }
        return (epoch, base) -> base * Math.pow(gamma, Math.floorDiv(epoch, stepSize));
    }

    /**
     * PyTorch's {@code CosineAnnealingLR} in closed form:
     * {@code minLr + (base - minLr) * (1 + cos(pi * epoch / totalEpochs)) / 2}, held at
     * {@code minLr} after {@code totalEpochs}.
     *
     * @throws IllegalArgumentException if {@code totalEpochs < 1} or {@code minLr} is negative
     */
    static LearningRateSchedule cosine(int totalEpochs, double minLr) {
        if (totalEpochs < 1) {
            throw new IllegalArgumentException("cosine schedule: invalid total epochs " + totalEpochs
                    + " (expected >= 1)");
        }
        if (!(minLr >= 0) || !Double.isFinite(minLr)) {
            throw new IllegalArgumentException("cosine schedule: invalid minimum learning rate " + minLr
                    + " (expected >= 0)");
        }
        return (epoch, base) -> epoch >= totalEpochs ? minLr
                : minLr + (base - minLr) * (1 + Math.cos(Math.PI * epoch / totalEpochs)) / 2;
    }
}
