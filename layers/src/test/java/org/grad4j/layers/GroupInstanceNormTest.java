package org.grad4j.layers;

import static org.grad4j.layers.Golden.assertClose;
import static org.grad4j.layers.Golden.leaf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.grad4j.core.Functional;
import org.grad4j.core.GradCheck;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;
import org.grad4j.core.io.SafeTensors;
import org.junit.jupiter.api.Test;

/**
 * {@link GroupNorm} and {@link InstanceNorm2d}: PyTorch's training steps (output, input and
 * parameter gradients, buffers after each step), evaluation step, toString and state-dict keys;
 * InstanceNorm2d against a naive per-plane oracle and gradcheck; one test per error message.
 */
class GroupInstanceNormTest {

    private static void check(String file, Module m) {
        SafeTensors g = Golden.load(file);
        assertEquals(g.metadata().get("repr"), m.toString(), file + " toString");
        assertEquals(g.metadata().get("keys"), String.join(",", m.stateDict().keySet()), file + " state-dict keys");
        Map<String, Tensor> init = new LinkedHashMap<>();
        for (String k : m.stateDict().keySet()) {
            init.put(k, g.tensor("init." + k));
        }
        m.loadStateDict(init, true);
        m.train();
        int steps = Integer.parseInt(g.metadata().get("steps"));
        for (int s = 0; s < steps; s++) {
            m.zeroGrad();
            Tensor x = leaf(g.tensor("x" + s));
            try (Tape tape = Tape.record()) {
                Tensor y = m.forward(x);
                assertClose(file + " y" + s, g.tensor("y" + s), y);
                y.backward(g.tensor("dy" + s));
            }
            assertClose(file + " dx" + s, g.tensor("dx" + s), x.grad());
            for (Map.Entry<String, Tensor> p : m.namedParameters().entrySet()) {
                assertClose(file + " d" + p.getKey() + s, g.tensor("d" + p.getKey() + s), p.getValue().grad());
            }
            for (Map.Entry<String, Tensor> b : m.namedBuffers().entrySet()) {
                assertClose(file + " " + b.getKey() + s, g.tensor(b.getKey() + s).reshape(b.getValue().shape().dims()),
                        b.getValue());
            }
        }
        m.eval();
        assertClose(file + " y_eval", g.tensor("y_eval"), m.forward(g.tensor("x_eval")));
    }

    @Test
    void groupNormMatchesPyTorch() {
        check("groupnorm_g3", new GroupNorm(3, 6));
    }

    @Test
    void groupNormWithoutAffineMatchesPyTorch() {
        check("groupnorm_g2_noaffine", new GroupNorm(2, 6, 1e-3, false));
    }

    @Test
    void groupNormOfOneGroupOn2dInputMatchesPyTorch() {
        check("groupnorm_g1_2d", new GroupNorm(1, 6));
    }

    @Test
    void instanceNorm2dDefaultsMatchPyTorch() {
        check("instancenorm2d", new InstanceNorm2d(6));
    }

    @Test
    void instanceNorm2dAffineMatchesPyTorch() {
        check("instancenorm2d_affine", new InstanceNorm2d(6, 1e-5, 0.1, true, false));
    }

    /** The running variance is the unbiased per-instance variance averaged over the batch. */
    @Test
    void instanceNorm2dTrackingRunningStatsMatchesPyTorch() {
        check("instancenorm2d_tracked", new InstanceNorm2d(6, 1e-5, 0.3, true, true));
    }

    /** Per (n, c) plane, in double: the definition InstanceNorm2d must equal. */
    @Test
    void instanceNorm2dAgreesWithNaivePlanes() {
        Random rng = new Random(347);
        InstanceNorm2d m = new InstanceNorm2d(3, 1e-5, 0.1, true, false);
        Init.uniform(m.weight(), 0.5, 1.5, rng);
        Init.uniform(m.bias(), -1, 1, rng);
        Tensor x = Tensor.randn(rng, 2, 3, 4, 5).mul(2f).add(1f).detach();
        float[] y = m.forward(x).toArray();
        float[] xs = x.toArray();
        for (int p = 0; p < 6; p++) {
            double mu = 0;
            for (int i = 0; i < 20; i++) {
                mu += xs[p * 20 + i];
            }
            mu /= 20;
            double v = 0;
            for (int i = 0; i < 20; i++) {
                v += (xs[p * 20 + i] - mu) * (xs[p * 20 + i] - mu);
            }
            v /= 20;
            for (int i = 0; i < 20; i++) {
                double want = (xs[p * 20 + i] - mu) / Math.sqrt(v + 1e-5) * m.weight().toArray()[p % 3]
                        + m.bias().toArray()[p % 3];
                assertEquals(want, y[p * 20 + i], 1e-5, "plane " + p + " index " + i);
            }
        }
    }

    @Test
    void instanceNorm2dPassesGradcheck() {
        Random rng = new Random(347);
        InstanceNorm2d m = new InstanceNorm2d(2, 1e-5, 0.1, true, false);
        GradCheck.check("InstanceNorm2d", t -> m.forward(t[0]), Tensor.randn(rng, 2, 2, 3, 3).requiresGrad(true));
        GroupNorm gn = new GroupNorm(2, 4);
        GradCheck.check("GroupNorm", t -> gn.forward(t[0]), Tensor.randn(rng, 2, 4, 2, 2).requiresGrad(true));
    }

    @Test
    void instanceNorm2dTakesUnbatchedInput() {
        Random rng = new Random(347);
        InstanceNorm2d m = new InstanceNorm2d(3);
        Tensor x = Tensor.randn(rng, 3, 4, 4);
        Tensor y = m.forward(x);
        assertEquals(x.shape(), y.shape());
        assertClose("unbatched", m.forward(x.reshape(1, 3, 4, 4)).reshape(3, 4, 4), y, 0, 0);
    }

    @Test
    void instanceNorm2dWithoutTrackingUsesInstanceStatisticsInEval() {
        Random rng = new Random(347);
        InstanceNorm2d m = new InstanceNorm2d(3);
        Tensor x = Tensor.randn(rng, 2, 3, 4, 4);
        Tensor train = m.forward(x);
        m.eval();
        assertClose("eval = train", train, m.forward(x), 0, 0);
        assertEquals(List.of(), List.copyOf(m.stateDict().keySet()));
    }

    @Test
    void instanceNorm2dTrackingLeavesNumBatchesTrackedAtZero() {
        InstanceNorm2d m = new InstanceNorm2d(2, 1e-5, 0.1, false, true);
        m.forward(Tensor.randn(new Random(347), 2, 2, 3, 3));
        assertEquals(0f, m.stateDict().get("num_batches_tracked").item());
    }

    // ---------------------------------------------------------------- errors

    private static String message(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    @Test
    void groupsMustDivideChannels() {
        assertEquals("GroupNorm: num_channels must be divisible by num_groups, got num_channels=4 and num_groups=3",
                message(() -> new GroupNorm(3, 4)));
    }

    @Test
    void groupNormCountsMustBePositive() {
        assertEquals("GroupNorm: num_groups and num_channels must be positive, got num_groups=0 and num_channels=4",
                message(() -> new GroupNorm(0, 4)));
    }

    @Test
    void groupNormEpsMustBeFinite() {
        assertEquals("GroupNorm: eps must be finite and non-negative, got NaN",
                message(() -> new GroupNorm(2, 4, Double.NaN, true)));
    }

    @Test
    void groupNormChecksChannels() {
        assertEquals("GroupNorm(2, 4): input [2, 6, 3, 3] has 6 channels, expected 4",
                message(() -> new GroupNorm(2, 4).forward(Tensor.zeros(2, 6, 3, 3))));
    }

    @Test
    void groupNormChecksRank() {
        assertEquals("GroupNorm(2, 4): input [4] has 1 dimensions, expected at least 2 ([N, C, *])",
                message(() -> new GroupNorm(2, 4).forward(Tensor.zeros(4))));
    }

    @Test
    void instanceNormChecksRank() {
        assertEquals("InstanceNorm2d(3): input [2, 3] has 2 dimensions, expected 3 ([C, H, W]) or 4 ([N, C, H, W])",
                message(() -> new InstanceNorm2d(3).forward(Tensor.zeros(2, 3))));
    }

    @Test
    void instanceNormChecksChannels() {
        assertEquals("InstanceNorm2d(3): input [2, 4, 3, 3] has 4 channels, expected 3",
                message(() -> new InstanceNorm2d(3).forward(Tensor.zeros(2, 4, 3, 3))));
    }

    @Test
    void instanceNormNeedsMoreThanOneSpatialElement() {
        assertEquals("Expected more than 1 spatial element when training, got input size [2, 3, 1, 1]",
                message(() -> new InstanceNorm2d(3).forward(Tensor.zeros(2, 3, 1, 1))));
    }

    @Test
    void instanceNormNumFeaturesMustBePositive() {
        assertEquals("InstanceNorm2d: num_features must be positive, got 0", message(() -> new InstanceNorm2d(0)));
    }

    @Test
    void instanceNormEpsMustBeFinite() {
        assertEquals("InstanceNorm2d: eps must be finite and non-negative, got -1.0",
                message(() -> new InstanceNorm2d(3, -1, 0.1, false, false)));
    }

    @Test
    void instanceNormMomentumMustBeAWeight() {
        assertEquals("InstanceNorm2d: momentum must be between 0 and 1, got 1.5",
                message(() -> new InstanceNorm2d(3, 1e-5, 1.5, false, true)));
    }

    @Test
    void groupNormFunctionalIsTheLayer() {
        Tensor x = Tensor.randn(new Random(347), 2, 4, 3);
        assertClose("layer = functional", Functional.groupNorm(x, 2, null, null, 1e-5).output(),
                new GroupNorm(2, 4, 1e-5, false).forward(x), 0, 0);
    }
}
