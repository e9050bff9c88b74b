package org.grad4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SGDTest {
    /** torch.optim.SGD's update for one parameter, transcribed in double: the oracle. */
    private static final class Reference {
        final double lr;
        final double momentum;
        final double dampening;
        final double wd;
        final boolean nesterov;
        double[] buf;

        Reference(double lr, double momentum, double dampening, double wd, boolean nesterov) {
            this.lr = lr;
            this.momentum = momentum;
            this.dampening = dampening;
            this.wd = wd;
            this.nesterov = nesterov;
        }

        void step(double[] p, double[] grad) {
            double[] g = grad.clone();
            for (int i = 0; i < g.length; i++) {
                g[i] += wd * p[i];
            }
            if (momentum != 0) {
                if (buf == null) {
                    buf = g.clone();
                } else {
                    for (int i = 0; i < g.length; i++) {
                        buf[i] = momentum * buf[i] + (1 - dampening) * g[i];
                    }
                }
                for (int i = 0; i < g.length; i++) {
                    g[i] = nesterov ? g[i] + momentum * buf[i] : buf[i];
                }
            }
            for (int i = 0; i < p.length; i++) {
                p[i] -= lr * g[i];
            }
        }
    }

    private static void setGrad(Tensor p, float[] g) {
        p.zeroGrad();
        try (Tape tape = Tape.record()) {
            p.mul(Tensor.of(g, p.shape().dims())).sum().backward();
        }
    }

    @Test
    void plainStepByHand() {
        Tensor p = Tensor.of(new float[] {1, 2}).requiresGrad(true);
        setGrad(p, new float[] {0.5f, -1});
        new SGD(List.of(p), 0.1).step();
        assertArrayEquals(new float[] {0.95f, 2.1f}, p.toArray(), 1e-7f);
    }

    @Test
    void firstMomentumStepUsesTheGradientAsBuffer() {
        Tensor p = Tensor.of(new float[] {1}).requiresGrad(true);
        SGD sgd = new SGD(List.of(p), SGD.options(0.1).momentum(0.9).dampening(0.5));
        setGrad(p, new float[] {2});
        sgd.step();
        assertEquals(0.8f, p.item(), 1e-7f, "buffer = g = 2 (no dampening on the first step)");
        setGrad(p, new float[] {2});
        sgd.step();
        // buffer = 0.9 * 2 + 0.5 * 2 = 2.8
        assertEquals(0.8f - 0.28f, p.item(), 1e-6f);
    }

    @ParameterizedTest
    @CsvSource({
        "0.5, 0, 0, 0, false",
        "0.1, 0.9, 0, 0, false",
        "0.1, 0.9, 0.3, 0, false",
        "0.1, 0.9, 0, 0.01, false",
        "0.05, 0.8, 0, 0.001, true",
        "0.2, 0, 0, 0.1, false"})
    void matchesPyTorchAlgorithmOverSeveralSteps(double lr, double momentum, double dampening, double wd,
                                                 boolean nesterov) {
        Random rng = new Random(345);
        Tensor a = Tensor.randn(rng, 3, 4).requiresGrad(true);
        Tensor b = Tensor.randn(rng, 4).requiresGrad(true);
        double[] ra = toDouble(a.toArray());
        double[] rb = toDouble(b.toArray());
        Reference refA = new Reference(lr, momentum, dampening, wd, nesterov);
        Reference refB = new Reference(lr, momentum, dampening, wd, nesterov);
        SGD sgd = new SGD(List.of(a, b),
                SGD.options(lr).momentum(momentum).dampening(dampening).weightDecay(wd).nesterov(nesterov));
        for (int step = 0; step < 5; step++) {
            float[] ga = Tensor.randn(rng, 3, 4).toArray();
            float[] gb = Tensor.randn(rng, 4).toArray();
            setGrad(a, ga);
            setGrad(b, gb);
            sgd.step();
            refA.step(ra, toDouble(ga));
            refB.step(rb, toDouble(gb));
            assertClose(ra, a.toArray());
            assertClose(rb, b.toArray());
        }
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    private static void assertClose(double[] expected, float[] actual) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-5 + 1e-5 * Math.abs(expected[i]), "element " + i);
        }
    }

    @Test
    void scalarParametersKeepTheirShape() {
        Tensor p = Tensor.scalar(2).requiresGrad(true);
        SGD sgd = new SGD(List.of(p), SGD.options(0.1).momentum(0.9).weightDecay(0.1).nesterov(true));
        for (int i = 0; i < 3; i++) {
            p.zeroGrad();
            try (Tape tape = Tape.record()) {
                p.square().backward();
            }
            sgd.step();
        }
        assertEquals(org.grad4j.core.Shape.SCALAR, sgd.stateDict().get("momentum_buffer.0").shape());
        assertTrue(p.item() < 2);
    }

    @Test
    void parametersWithoutGradientAreSkipped() {
        Tensor p = Tensor.of(new float[] {1}).requiresGrad(true);
        Tensor q = Tensor.of(new float[] {5}).requiresGrad(true);
        setGrad(p, new float[] {1});
        new SGD(List.of(p, q), SGD.options(1).momentum(0.9).weightDecay(0.1)).step();
        assertEquals(5f, q.item());
        assertEquals(-0.1f, p.item(), 1e-7f);
    }

    @Test
    void stepRunsInsideAnOpenTapeAfterBackward() {
        Tensor p = Tensor.of(new float[] {3}).requiresGrad(true);
        SGD sgd = new SGD(List.of(p), 0.5);
        try (Tape tape = Tape.record()) {
            p.square().sum().backward();
            sgd.step();
        }
        assertEquals(0f, p.item());
        sgd.zeroGrad();
        assertEquals(0f, p.grad().item());
    }

    @Test
    void momentumBuffersRoundTrip() {
        Tensor p = Tensor.of(new float[] {1, 2}).requiresGrad(true);
        SGD sgd = new SGD(List.of(p), SGD.options(0.1).momentum(0.9));
        setGrad(p, new float[] {1, 1});
        sgd.step();
        Tensor saved = sgd.stateDict().get("momentum_buffer.0");
        SGD other = new SGD(List.of(p), SGD.options(0.1).momentum(0.9));
        other.loadStateDict(sgd.stateDict());
        assertArrayEquals(saved.toArray(), other.stateDict().get("momentum_buffer.0").toArray());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> other.loadStateDict(java.util.Map.of("momentum_buffer.0", Tensor.zeros(3))));
        assertEquals("SGD: cannot load state: 'momentum_buffer.0' has shape [3], expected [2]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> other.loadStateDict(java.util.Map.of("momentum_buffer.1", Tensor.zeros(2))));
        assertEquals("SGD: cannot load state: unexpected key 'momentum_buffer.1'", e.getMessage());
    }

    @Test
    void invalidHyperParametersAreNamed() {
        List<Tensor> ps = List.of(Tensor.zeros(1).requiresGrad(true));
        assertMessage("SGD: invalid learning rate -1.0 (expected >= 0)", () -> new SGD(ps, -1));
        assertMessage("SGD: invalid learning rate NaN (expected >= 0)", () -> new SGD(ps, Double.NaN));
        assertMessage("SGD: invalid momentum -0.5 (expected >= 0)", () -> SGD.options(0.1).momentum(-0.5));
        assertMessage("SGD: invalid dampening 2.0 (expected 0 to 1)", () -> SGD.options(0.1).dampening(2));
        assertMessage("SGD: invalid weight decay -0.1 (expected >= 0)", () -> SGD.options(0.1).weightDecay(-0.1));
        assertMessage("SGD: Nesterov momentum requires a momentum > 0 and zero dampening, got momentum 0.0 and "
                + "dampening 0.0", () -> new SGD(ps, SGD.options(0.1).nesterov(true)));
        assertMessage("SGD: Nesterov momentum requires a momentum > 0 and zero dampening, got momentum 0.9 and "
                + "dampening 0.1", () -> new SGD(ps, SGD.options(0.1).momentum(0.9).dampening(0.1).nesterov(true)));
        assertMessage("SGD: Nesterov momentum requires a momentum > 0 and zero dampening, got momentum 0.0 and "
                + "dampening 0.0 in group 1", () -> new SGD(List.of(ParamGroup.of(ps, SGD.options(0.1)),
                        ParamGroup.of(List.of(Tensor.zeros(2)), SGD.options(0.1).nesterov(true)))));
        Tensor p = ps.get(0);
        assertMessage("SGD: parameter 1 appears more than once", () -> new SGD(List.of(p, p), 0.1));
        assertMessage("SGD: invalid learning rate Infinity (expected >= 0)",
                () -> new SGD(ps, 0.1).setLearningRate(Double.POSITIVE_INFINITY));
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        assertEquals(expected, assertThrows(IllegalArgumentException.class, call).getMessage());
    }
}
