package org.grad4j.train;

/**
 * The learning rate for each epoch or step (counted from 0), as a pure function of the count:
 * resuming from a checkpoint needs no schedule state. {@link Trainer#withSchedule} applies a
 * schedule per epoch, {@link Trainer#withStepSchedule} per optimizer step (as PyTorch's
 * {@code OneCycleLR} is meant to be used); each parameter group gets the schedule applied to its
 * own base rate, as in PyTorch.
 *
 * <pre>{@code
 * // 3 epochs of linear warm-up from 0.1 * base, then cosine annealing to 0.001 over 7 epochs
 * LearningRateSchedule s = LearningRateSchedule.linear(0.1, 1, 3).then(3, LearningRateSchedule.cosine(7, 0.001));
 * }</pre>
 *
 * <p>The built-in schedules describe themselves in {@code toString} ({@code constant},
 * {@code StepLR(step_size=30, gamma=0.1)}, ...), which checkpoints record and a resumed run
 * compares; a schedule of your own is recorded as {@code custom} unless it declares a
 * {@code toString}.
 */
@FunctionalInterface
public interface LearningRateSchedule {
    /** The learning rate for epoch or step {@code epoch} (0-based) given the base rate. */
    double at(int epoch, double baseLr);

    /**
     * This schedule before {@code milestone}, then {@code next} counted from 0 at the milestone:
     * PyTorch's {@code SequentialLR} with one milestone, e.g. warm-up then decay.
     *
     * @throws IllegalArgumentException if {@code milestone < 1}
     */
    default LearningRateSchedule then(int milestone, LearningRateSchedule next) {
        if (milestone < 1) {
            throw new IllegalArgumentException("schedule: invalid milestone " + milestone + " (expected >= 1)");
        }
        return named("SequentialLR(" + Trainer.describe(this, "custom") + ", milestone=" + milestone + ", "
                + Trainer.describe(next, "custom") + ")",
                (epoch, base) -> epoch < milestone ? at(epoch, base) : next.at(epoch - milestone, base));
    }

    /** The base rate at every epoch. */
    static LearningRateSchedule constant() {
        return named("constant", (epoch, base) -> base);
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
        return named("StepLR(step_size=" + stepSize + ", gamma=" + gamma + ")",
                (epoch, base) -> base * Math.pow(gamma, Math.floorDiv(epoch, stepSize)));
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
        return named("CosineAnnealingLR(T_max=" + totalEpochs + ", eta_min=" + minLr + ")",
                (epoch, base) -> epoch >= totalEpochs ? minLr
                        : minLr + (base - minLr) * (1 + Math.cos(Math.PI * epoch / totalEpochs)) / 2);
    }

    /** {@code f} with {@code description} as its {@code toString}. */
    private static LearningRateSchedule named(String description, LearningRateSchedule f) {
        return new LearningRateSchedule() {
            @Override
            public double at(int epoch, double baseLr) {
                return f.at(epoch, baseLr);
            }

            @Override
            public String toString() {
                return description;
            }
        };
    }

    /**
     * PyTorch's {@code LinearLR} in closed form: the factor goes linearly from {@code startFactor}
     * to {@code endFactor} over {@code totalIters}, then stays:
     * {@code base * (startFactor + (endFactor - startFactor) * min(epoch, totalIters) / totalIters)}.
     * {@code linear(0.1, 1, 5)} is a five-epoch (or step) warm-up.
     *
     * @throws IllegalArgumentException if {@code startFactor} is not in (0, 1], {@code endFactor} is
     *     not in [0, 1], or {@code totalIters < 1}
     */
    static LearningRateSchedule linear(double startFactor, double endFactor, int totalIters) {
        if (!(startFactor > 0 && startFactor <= 1)) {
            throw new IllegalArgumentException("linear schedule: invalid start factor " + startFactor
                    + " (expected 0 < start factor <= 1)");
        }
        if (!(endFactor >= 0 && endFactor <= 1)) {
            throw new IllegalArgumentException("linear schedule: invalid end factor " + endFactor
                    + " (expected 0 to 1)");
        }
        if (totalIters < 1) {
            throw new IllegalArgumentException("linear schedule: invalid total iterations " + totalIters
                    + " (expected >= 1)");
        }
        return named("LinearLR(start_factor=" + startFactor + ", end_factor=" + endFactor + ", total_iters="
                + totalIters + ")", (epoch, base) -> base * (startFactor
                + (endFactor - startFactor) * Math.min(epoch, totalIters) / totalIters));
    }

    /**
     * PyTorch's {@code OneCycleLR} (Smith and Topin, 2017) with cosine annealing, two phases and no
     * momentum cycling, with the base rate as {@code max_lr}. Over {@code totalSteps} steps the rate
     * rises from {@code base / divFactor} to {@code base} until step {@code pctStart * totalSteps - 1},
     * then falls to {@code base / divFactor / finalDivFactor} at step {@code totalSteps - 1}; each
     * phase anneals {@code end + (start - end) * (1 + cos(pi * pct)) / 2} with {@code pct} the
     * fraction of the phase done. Meant per step ({@link Trainer#withStepSchedule}).
     *
     * @throws IllegalArgumentException if {@code totalSteps < 1}, {@code pctStart} is not in (0, 1),
     *     a divisor is not positive, or a phase would be empty; and, from {@link #at}, for a step at or past {@code totalSteps}
     *     (PyTorch allows one more)
     */
    static LearningRateSchedule oneCycle(int totalSteps, double pctStart, double divFactor, double finalDivFactor) {
        if (totalSteps < 1) {
            throw new IllegalArgumentException("one-cycle schedule: invalid total steps " + totalSteps
                    + " (expected >= 1)");
        }
        if (!(pctStart > 0 && pctStart < 1)) {
            throw new IllegalArgumentException("one-cycle schedule: invalid pct start " + pctStart
                    + " (expected 0 < pct start < 1)");
        }
        if (!(divFactor > 0) || !Double.isFinite(divFactor)) {
            throw new IllegalArgumentException("one-cycle schedule: invalid div factor " + divFactor + " (expected > 0)");
        }
        if (!(finalDivFactor > 0) || !Double.isFinite(finalDivFactor)) {
            throw new IllegalArgumentException("one-cycle schedule: invalid final div factor " + finalDivFactor
                    + " (expected > 0)");
        }
        double peak = pctStart * totalSteps - 1;
        if (!(peak > 0 && peak < totalSteps - 1)) {
            throw new IllegalArgumentException("one-cycle schedule: pct start " + pctStart + " of " + totalSteps
                    + " steps leaves no room for both phases (expected 1 < pct start * total steps < total steps)");
        }
        return named("OneCycleLR(total_steps=" + totalSteps + ", pct_start=" + pctStart + ", div_factor=" + divFactor
                + ", final_div_factor=" + finalDivFactor + ")", (step, base) -> {
            if (step < 0 || step >= totalSteps) {
                throw new IllegalArgumentException("one-cycle schedule: step " + step + " is outside the cycle of "
                        + totalSteps + " steps (expected 0 to " + (totalSteps - 1) + ")");
            }
            double initial = base / divFactor;
            if (step <= peak) {
                return anneal(initial, base, step / peak);
            }
            return anneal(base, initial / finalDivFactor, (step - peak) / (totalSteps - 1 - peak));
        });
    }

    /** PyTorch's {@code OneCycleLR} defaults: {@code pctStart} 0.3, {@code divFactor} 25, {@code finalDivFactor} 1e4. */
    static LearningRateSchedule oneCycle(int totalSteps) {
        return oneCycle(totalSteps, 0.3, 25, 1e4);
    }

    /** Cosine annealing from {@code start} at {@code pct} 0 to {@code end} at 1. */
    private static double anneal(double start, double end, double pct) {
        return end + (start - end) / 2 * (Math.cos(Math.PI * pct) + 1);
    }
}
