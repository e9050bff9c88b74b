package org.grad4j.train;

import java.util.List;
import org.grad4j.core.Tensor;

/** Operations on the gradients of parameters between backward and the optimizer step. */
public final class Gradients {
    private Gradients() {
    }

    /**
     * {@link #clipNorm(List, double, double, boolean)} with the 2-norm, scaling even when the norm
     * is not finite (PyTorch's defaults).
     *
     * @return the total norm before clipping
     * @throws IllegalArgumentException if {@code maxNorm} is negative or NaN
     */
    public static double clipNorm(List<Tensor> params, double maxNorm) {
        return clipNorm(params, maxNorm, 2, false);
    }

    /**
     * Scales the gradients of {@code params} in place so that their total norm is at most
     * {@code maxNorm}, as PyTorch's {@code torch.nn.utils.clip_grad_norm_}:
     *
     * <pre>
     * total = (sum over all gradient elements of |g|^normType)^(1/normType)    (max |g| for infinity)
     * g = g * min(1, maxNorm / (total + 1e-6))                                   (in float32)
     * </pre>
     *
     * The norm is taken over all gradients together, as if they were one vector; parameters
     * without a gradient, and frozen ones ({@code requiresGrad(false)}, whose gradient no
     * optimizer uses), are left out and keep their gradient (with none left, the total is 0 and
     * nothing changes). The sum is
     * accumulated in double, so the total may differ from PyTorch's float32 one in its last bits.
     *
     * @param normType the order of the norm, {@code > 0}, or {@code Double.POSITIVE_INFINITY}
     * @param errorIfNonfinite throw, changing nothing, if the total is NaN or infinite (otherwise
     *     the gradients are scaled by the non-finite norm, as in PyTorch: they become 0 or NaN)
     * @return the total norm before clipping (as a float32 value)
     * @throws IllegalArgumentException if {@code maxNorm} is negative or NaN, {@code normType} is not
     *     positive, or the total is not finite and {@code errorIfNonfinite} is set
     */
    public static double clipNorm(List<Tensor> params, double maxNorm, double normType, boolean errorIfNonfinite) {
        if (!(maxNorm >= 0)) {
            throw new IllegalArgumentException("clipNorm: invalid max norm " + maxNorm + " (expected >= 0)");
        }
        if (!(normType > 0)) {
            throw new IllegalArgumentException("clipNorm: invalid norm type " + normType
                    + " (expected > 0 or infinity)");
        }
        boolean any = false;
        double acc = 0;
        for (Tensor p : params) {
            if (!counts(p)) {
                continue;
            }
            any = true;
            for (float x : p.grad().toArray()) {
                double a = Math.abs((double) x);
                acc = normType == Double.POSITIVE_INFINITY ? Math.max(acc, a)
                        : acc + (normType == 2 ? a * a : Math.pow(a, normType));
            }
        }
        if (!any) {
            return 0;
        }
        float total = (float) (normType == Double.POSITIVE_INFINITY ? acc
                : normType == 2 ? Math.sqrt(acc) : Math.pow(acc, 1 / normType));
        if (errorIfNonfinite && !Float.isFinite(total)) {
            throw new IllegalArgumentException("clipNorm: the total norm of order " + normType + " of the gradients is "
                    + total + ", so they cannot be clipped (pass errorIfNonfinite false to scale them anyway)");
        }
        float coef = Math.min((float) maxNorm / (total + 1e-6f), 1f);
        for (Tensor p : params) {
            if (counts(p)) {
                p.grad().mulInPlace(coef);
            }
        }
        return total;
    }

    /** Whether {@code p}'s gradient is one an optimizer step would use. */
    private static boolean counts(Tensor p) {
        return p.requiresGrad() && p.grad() != null;
    }
}
