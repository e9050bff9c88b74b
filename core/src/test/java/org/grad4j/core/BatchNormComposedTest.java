package org.grad4j.core;

import static org.grad4j.core.FunctionalTest.assertClose;
import static org.grad4j.core.FunctionalTest.param;
import static org.grad4j.core.FunctionalTest.valuesAndGrads;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The oracle of DESIGN.md: batch norm written from core primitives exactly as the d2l chapter's
 * {@code batch_norm} function writes it,
 * <pre>
 * mean = X.mean(dim=(0, 2, 3), keepdim=True)              # dim=0 for [N, C]
 * var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
 * X_hat = (X - mean) / torch.sqrt(var + eps)
 * Y = gamma * X_hat + beta                                 # gamma, beta of shape (1, C, 1, 1)
 * </pre>
 * must agree with the fused {@link Functional#batchNormTraining}, values and gradients, for 2-D
 * and 4-D inputs. Autograd through the composed version differentiates the mean and variance
 * too, so this checks the fused closed form against the chain rule.
 */
class BatchNormComposedTest {
    private static final double ATOL = 1e-5;
    private static final double RTOL = 1e-4;

    /** d2l's batch_norm in training mode: gamma and beta are the [C] leaves, reshaped as the chapter shapes them. */
    static Tensor composed(Tensor x, Tensor gamma, Tensor beta, float eps) {
        int c = x.dim(1);
        int[] dims = x.rank() == 2 ? new int[] {0} : new int[] {0, 2, 3};
        int[] paramShape = x.rank() == 2 ? new int[] {1, c} : new int[] {1, c, 1, 1};
        Tensor mean = x.mean(dims, true);
        Tensor var = x.sub(mean).square().mean(dims, true);
        Tensor xhat = x.sub(mean).div(var.add(eps).sqrt());
        return gamma.reshape(paramShape).mul(xhat).add(beta.reshape(paramShape));
    }

    private static void agree(int[] dims, float scale, float shift) {
        Random rng = new Random(345);
        int c = dims[1];
        Tensor x = Tensor.randn(rng, dims).mul(scale).add(shift).detach().requiresGrad(true);
        Tensor gamma = param(rng, c);
        Tensor beta = param(rng, c);
        Tensor dy = Tensor.randn(rng, dims);
        List<float[]> fused = valuesAndGrads(t -> Functional.batchNormTraining(t[0], t[1], t[2], 1e-5).output(),
                dy, x, gamma, beta);
        List<float[]> chapter = valuesAndGrads(t -> composed(t[0], t[1], t[2], 1e-5f), dy, x, gamma, beta);
        String[] names = {"y", "dx", "dgamma", "dbeta"};
        for (int i = 0; i < names.length; i++) {
            assertClose(chapter.get(i), fused.get(i), ATOL, RTOL,
                    "fused vs d2l batch_norm " + Arrays.toString(dims) + ": " + names[i]);
        }
    }

    @Test
    void agreesOnFourDimensionalInput() {
        agree(new int[] {4, 3, 5, 5}, 1f, 0f);
    }

    @Test
    void agreesOnTwoDimensionalInput() {
        agree(new int[] {8, 6}, 1f, 0f);
    }

    @Test
    void agreesOnOddShapesAndShiftedScaledActivations() {
        agree(new int[] {3, 2, 7, 5}, 2.5f, 1.5f);
        agree(new int[] {5, 7}, 0.5f, -3f);
        agree(new int[] {1, 4, 3, 3}, 1f, 0f);
        agree(new int[] {2, 1, 1, 1}, 1f, 0f);
    }

    @Test
    void agreesAtTheChaptersShapes() {
        // BN-LeNet on 28x28 with a batch of 16: bn1 sees [16, 6, 24, 24], bn3 sees [16, 120].
        agree(new int[] {16, 6, 24, 24}, 1f, 0f);
        agree(new int[] {16, 120}, 1f, 0f);
    }

    @Test
    void composedVersionPassesGradcheckToo() {
        Random rng = new Random(345);
        GradCheck.check("d2l batch_norm", t -> composed(t[0], t[1], t[2], 1e-5f),
                param(rng, 3, 2, 2, 3), param(rng, 2), param(rng, 2));
    }
}
