package org.grad4j.train;

import static org.grad4j.train.OptimizerGoldenTest.setGrad;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.grad4j.core.Shape;
import org.grad4j.core.Tensor;
import org.grad4j.core.io.SafeTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Adam, AdamW and RMSprop against transcriptions in double; groups, state dicts and error messages of all optimizers. */
class AdaptiveOptimizersTest {
    /** torch.optim.Adam / AdamW's algorithm for one parameter, in double: the oracle. */
    private static final class AdamReference {
        final double lr, beta1, beta2, eps, wd;
        final boolean amsgrad, decoupled;
        double[] m, v, vMax;
        int t;

        AdamReference(double lr, double beta1, double beta2, double eps, double wd, boolean amsgrad, boolean decoupled) {
            this.lr = lr;
            this.beta1 = beta1;
            this.beta2 = beta2;
            this.eps = eps;
            this.wd = wd;
            this.amsgrad = amsgrad;
            this.decoupled = decoupled;
        }

        void step(double[] p, double[] g) {
            if (m == null) {
                m = new double[p.length];
                v = new double[p.length];
                vMax = new double[p.length];
            }
            t++;
            for (int i = 0; i < p.length; i++) {
                double gi = decoupled ? g[i] : g[i] + wd * p[i];
                if (decoupled) {
                    p[i] *= 1 - lr * wd;
                }
                m[i] = beta1 * m[i] + (1 - beta1) * gi;
                v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
                vMax[i] = Math.max(vMax[i], v[i]);
                double mHat = m[i] / (1 - Math.pow(beta1, t));
                double vHat = (amsgrad ? vMax[i] : v[i]) / (1 - Math.pow(beta2, t));
                p[i] -= lr * mHat / (Math.sqrt(vHat) + eps);
            }
        }
    }

    /** torch.optim.RMSprop's algorithm for one parameter, in double: the oracle. */
    private static final class RmsReference {
        final double lr, alpha, eps, wd, momentum;
        final boolean centered;
        double[] s, a, b;

        RmsReference(double lr, double alpha, double eps, double wd, double momentum, boolean centered) {
            this.lr = lr;
            this.alpha = alpha;
            this.eps = eps;
            this.wd = wd;
            this.momentum = momentum;
            this.centered = centered;
        }

        void step(double[] p, double[] g) {
            if (s == null) {
                s = new double[p.length];
                a = new double[p.length];
                b = new double[p.length];
            }
            for (int i = 0; i < p.length; i++) {
                double gi = g[i] + wd * p[i];
                s[i] = alpha * s[i] + (1 - alpha) * gi * gi;
                a[i] = alpha * a[i] + (1 - alpha) * gi;
                double d = Math.sqrt(centered ? s[i] - a[i] * a[i] : s[i]) + eps;
                if (momentum > 0) {
                    b[i] = momentum * b[i] + gi / d;
                    p[i] -= lr * b[i];
                } else {
                    p[i] -= lr * gi / d;
                }
            }
        }
    }

    @ParameterizedTest
    @CsvSource({
        "1e-3, 0.9, 0.999, 1e-8, 0, false, false",
        "1e-2, 0.8, 0.99, 1e-6, 0.1, true, false",
        "1e-2, 0.9, 0.999, 1e-8, 0.01, false, true",
        "3e-2, 0.5, 0.9, 1e-4, 0.2, true, true"})
    void adamMatchesTheAlgorithmInDouble(double lr, double beta1, double beta2, double eps, double wd,
                                         boolean amsgrad, boolean decoupled) {
        Adam.Options o = (decoupled ? AdamW.options(lr) : Adam.options(lr)).betas(beta1, beta2).eps(eps)
                .weightDecay(wd).amsgrad(amsgrad);
        compareWithOracle(ps -> decoupled ? new AdamW(ps, o) : new Adam(ps, o),
                () -> new AdamReference(lr, beta1, beta2, eps, wd, amsgrad, decoupled)::step);
    }

    @ParameterizedTest
    @CsvSource({
        "1e-2, 0.99, 1e-8, 0, 0, false",
        "1e-2, 0.9, 1e-6, 0.05, 0.8, true",
        "1e-3, 0.5, 1e-4, 0, 0.9, false",
        "5e-3, 0.95, 1e-8, 0.1, 0, true"})
    void rmspropMatchesTheAlgorithmInDouble(double lr, double alpha, double eps, double wd, double momentum,
                                            boolean centered) {
        RMSprop.Options o = RMSprop.options(lr).alpha(alpha).eps(eps).weightDecay(wd).momentum(momentum)
                .centered(centered);
        compareWithOracle(ps -> new RMSprop(ps, o), () -> new RmsReference(lr, alpha, eps, wd, momentum, centered)::step);
    }

    interface Stepper {
        void step(double[] p, double[] g);
    }

    /**
     * Eight steps on two seeded parameters with gradients of varied size. Tolerance 1e-5 + 1e-5 |p|:
     * the float32 run drifts from the double one by a few ulps per step (2^-24 relative each).
     */
    private static void compareWithOracle(Function<List<Tensor>, Optimizer> make,
                                          java.util.function.Supplier<Stepper> reference) {
        Random rng = new Random(345);
        Tensor a = Tensor.randn(rng, 3, 4).requiresGrad(true);
        Tensor b = Tensor.randn(rng, 5).requiresGrad(true);
        double[] ra = toDouble(a.toArray());
        double[] rb = toDouble(b.toArray());
        Stepper refA = reference.get();
        Stepper refB = reference.get();
        Optimizer opt = make.apply(List.of(a, b));
        for (int step = 0; step < 8; step++) {
            float scale = (float) Math.pow(10, rng.nextDouble() * 3 - 2);
            Tensor ga = Tensor.randn(rng, 3, 4).mul(scale);
            Tensor gb = Tensor.randn(rng, 5).mul(scale);
            setGrad(a, ga);
            setGrad(b, gb);
            opt.step();
            refA.step(ra, toDouble(ga.toArray()));
            refB.step(rb, toDouble(gb.toArray()));
            assertClose(ra, a.toArray(), "a, step " + step);
            assertClose(rb, b.toArray(), "b, step " + step);
        }
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    private static void assertClose(double[] expected, float[] actual, String what) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-5 + 1e-5 * Math.abs(expected[i]), what + ", element " + i);
        }
    }

    /** Every optimizer with every kind of state, for the round trips. */
    private static final Map<String, Function<List<Tensor>, Optimizer>> ALL = Map.of(
            "sgd", ps -> new SGD(ps, SGD.options(0.05).momentum(0.9).nesterov(true)),
            "adam", ps -> new Adam(ps, Adam.options(1e-2).amsgrad(true).weightDecay(0.01)),
            "adamw", ps -> new AdamW(List.of(ParamGroup.of(ps.subList(0, 1), AdamW.options(1e-2)),
                    ParamGroup.of(ps.subList(1, 2), AdamW.options(3e-2).weightDecay(0)))),
            "rmsprop", ps -> new RMSprop(ps, RMSprop.options(1e-2).momentum(0.5).centered(true)));

    private static List<Tensor> params(long seed) {
        Random rng = new Random(seed);
        return List.of(Tensor.randn(rng, 3, 4).requiresGrad(true), Tensor.randn(rng, 4).requiresGrad(true));
    }

    private static void steps(Optimizer opt, Random grads, int n) {
        for (int s = 0; s < n; s++) {
            for (Tensor p : opt.parameters()) {
                setGrad(p, Tensor.randn(grads, p.shape().dims()));
            }
            opt.step();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sgd", "adam", "adamw", "rmsprop"})
    void stateSavedToAFileMidTrainingResumesBitForBit(String name, @TempDir Path dir) throws Exception {
        Optimizer straight = ALL.get(name).apply(params(1));
        steps(straight, new Random(2), 7);

        Random grads = new Random(2);
        Optimizer first = ALL.get(name).apply(params(1));
        steps(first, grads, 3);
        SafeTensors file = new SafeTensors();
        for (int i = 0; i < first.parameters().size(); i++) {
            file.put("param." + i, first.parameters().get(i));
        }
        first.stateDict().forEach(file::put);
        file.write(dir.resolve("state.safetensors"));

        SafeTensors read = SafeTensors.read(dir.resolve("state.safetensors"));
        List<Tensor> restored = params(99);
        Map<String, Tensor> state = new java.util.LinkedHashMap<>();
        for (String key : read.names()) {
            if (key.startsWith("param.")) {
                restored.get(Integer.parseInt(key.substring(6))).copyFrom(read.tensor(key));
            } else {
                state.put(key, read.tensor(key));
            }
        }
        Optimizer resumed = ALL.get(name).apply(restored);
        resumed.loadStateDict(state);
        assertEquals(first.stateDict().keySet(), resumed.stateDict().keySet());
        steps(resumed, grads, 4);
        for (int i = 0; i < restored.size(); i++) {
            assertArrayEquals(straight.parameters().get(i).toArray(), restored.get(i).toArray(), name + " param " + i);
        }
    }

    @Test
    void stateDictNamesPyTorchsSlotsWithScalarSteps() {
        List<Tensor> ps = params(1);
        Adam adam = new Adam(ps, Adam.options(1e-3).amsgrad(true));
        steps(adam, new Random(3), 2);
        assertEquals(List.of("step.0", "step.1", "exp_avg.0", "exp_avg.1", "exp_avg_sq.0", "exp_avg_sq.1",
                "max_exp_avg_sq.0", "max_exp_avg_sq.1"), new ArrayList<>(adam.stateDict().keySet()));
        assertEquals(Shape.SCALAR, adam.stateDict().get("step.1").shape());
        assertEquals(2f, adam.stateDict().get("step.1").item());
        RMSprop rms = new RMSprop(ps, 1e-2);
        steps(rms, new Random(3), 1);
        assertEquals(List.of("square_avg.0", "square_avg.1"), new ArrayList<>(rms.stateDict().keySet()));
    }

    @Test
    void aParameterWithoutGradientIsSkippedAndItsStepDoesNotAdvance() {
        Tensor p = Tensor.of(new float[] {1, 2}).requiresGrad(true);
        Tensor q = Tensor.of(new float[] {5}).requiresGrad(true);
        AdamW adamw = new AdamW(List.of(p, q), 0.1);
        setGrad(p, Tensor.of(new float[] {1, -1}));
        adamw.step();
        assertEquals(5f, q.item(), "no gradient: not even weight decay");
        assertNull(adamw.stateDict().get("step.1"));
        setGrad(q, Tensor.of(new float[] {1}));
        adamw.step();
        assertEquals(2f, adamw.stateDict().get("step.0").item());
        assertEquals(1f, adamw.stateDict().get("step.1").item());
    }

    @Test
    void groupsHaveTheirOwnLearningRates() {
        Tensor a = Tensor.of(new float[] {1}).requiresGrad(true);
        Tensor b = Tensor.of(new float[] {1}).requiresGrad(true);
        SGD.Options base = SGD.options(0.1);
        SGD sgd = new SGD(List.of(ParamGroup.of(List.of(a), base), ParamGroup.of(List.of(b), base.lr(0.5))));
        assertArrayEquals(new double[] {0.1, 0.5}, sgd.learningRates());
        assertEquals(0.1, sgd.learningRate());
        setGrad(a, Tensor.of(new float[] {1}));
        setGrad(b, Tensor.of(new float[] {1}));
        sgd.step();
        assertEquals(0.9f, a.item());
        assertEquals(0.5f, b.item());
        sgd.setLearningRates(0.2, 0.3);
        assertEquals("SGD([lr=0.2, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=false], "
                + "[lr=0.3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=false])", sgd.toString());
        sgd.setLearningRate(0.4);
        assertArrayEquals(new double[] {0.4, 0.4}, sgd.learningRates());
        assertEquals(List.of(a, b), sgd.parameters());
    }

    @Test
    void anOptimizerWithoutGroupsHasOneRate() {
        double[] lr = {0.1};
        Optimizer plain = new Optimizer() {
            @Override
            public void step() {
            }

            @Override
            public void zeroGrad() {
            }

            @Override
            public double learningRate() {
                return lr[0];
            }

            @Override
            public void setLearningRate(double rate) {
                lr[0] = rate;
            }

            @Override
            public List<Tensor> parameters() {
                return List.of();
            }

            @Override
            public Map<String, Tensor> stateDict() {
                return Map.of();
            }

            @Override
            public void loadStateDict(Map<String, Tensor> state) {
            }
        };
        assertArrayEquals(new double[] {0.1}, plain.learningRates());
        plain.setLearningRates(0.3);
        assertEquals(0.3, plain.learningRate());
        assertMessage("optimizer: 2 learning rates given for 1 parameter group", () -> plain.setLearningRates(1, 2));
    }

    @Test
    void splitWeightDecayPutsBiasesAndNormalisationParametersApart() {
        var net = Synthetic.net(345);   // conv (weight, bias), batch norm (weight, bias), linear (weight, bias)
        List<Tensor> ps = net.parameters();
        Adam.Options o = AdamW.options(1e-3);
        List<ParamGroup<Adam.Options>> groups = ParamGroup.splitWeightDecay(ps, o, o.weightDecay(0));
        assertEquals(2, groups.size());
        assertEquals(List.of(ps.get(0), ps.get(4)), groups.get(0).params());
        assertEquals(List.of(ps.get(1), ps.get(2), ps.get(3), ps.get(5)), groups.get(1).params());
        assertEquals(0.01, groups.get(0).options().weightDecay());
        assertEquals(0.0, groups.get(1).options().weightDecay());
        assertEquals(1, ParamGroup.splitWeightDecay(List.of(ps.get(1)), o, o).size(), "no empty group");
    }

    @Test
    void invalidOptionsAreNamed() {
        assertMessage("Adam: invalid learning rate -1.0 (expected >= 0)", () -> new Adam(params(1), -1));
        assertMessage("AdamW: invalid learning rate NaN (expected >= 0)", () -> AdamW.options(Double.NaN));
        assertMessage("Adam: invalid beta1 1.0 (expected 0 <= beta1 < 1)", () -> Adam.options(1e-3).betas(1, 0.9));
        assertMessage("Adam: invalid beta2 -0.1 (expected 0 <= beta2 < 1)", () -> Adam.options(1e-3).betas(0.9, -0.1));
        assertMessage("Adam: invalid eps -1.0E-8 (expected >= 0)", () -> Adam.options(1e-3).eps(-1e-8));
        assertMessage("AdamW: invalid weight decay -0.01 (expected >= 0)", () -> AdamW.options(1e-3).weightDecay(-0.01));
        assertMessage("RMSprop: invalid learning rate -0.1 (expected >= 0)", () -> RMSprop.options(-0.1));
        assertMessage("RMSprop: invalid alpha 1.0 (expected 0 <= alpha < 1)", () -> RMSprop.options(0.1).alpha(1));
        assertMessage("RMSprop: invalid eps Infinity (expected >= 0)",
                () -> RMSprop.options(0.1).eps(Double.POSITIVE_INFINITY));
        assertMessage("RMSprop: invalid weight decay -1.0 (expected >= 0)", () -> RMSprop.options(0.1).weightDecay(-1));
        assertMessage("RMSprop: invalid momentum -0.9 (expected >= 0)", () -> RMSprop.options(0.1).momentum(-0.9));
        assertMessage("SGD: invalid learning rate -2.0 (expected >= 0)", () -> SGD.options(0.1).lr(-2));
    }

    @Test
    void invalidGroupsAreNamed() {
        List<Tensor> ps = params(1);
        Adam.Options o = Adam.options(1e-3);
        assertMessage("Adam: parameter 0 of group 1 is also parameter 1 of group 0",
                () -> new Adam(List.of(ParamGroup.of(ps, o), ParamGroup.of(ps.subList(1, 2), o))));
        assertMessage("RMSprop: parameter 1 appears more than once",
                () -> new RMSprop(List.of(ps.get(0), ps.get(0)), 0.1));
        assertMessage("AdamW: no parameter groups (expected at least one)", () -> new AdamW(List.of()));
        assertMessage("Adam: 1 learning rates given for 2 parameter groups",
                () -> new Adam(List.of(ParamGroup.of(ps.subList(0, 1), o), ParamGroup.of(ps.subList(1, 2), o)))
                        .setLearningRates(0.1));
        assertMessage("Adam: invalid learning rate -0.1 (expected >= 0)", () -> new Adam(ps, o).setLearningRate(-0.1));
    }

    @Test
    void invalidStateIsNamedAndNothingIsLoaded() {
        List<Tensor> ps = params(1);
        Adam adam = new Adam(ps, 1e-3);
        steps(adam, new Random(3), 1);
        Map<String, Tensor> before = adam.stateDict();
        float[] expAvg = before.get("exp_avg.0").toArray();
        Map<String, Tensor> bad = new java.util.LinkedHashMap<>();
        bad.put("exp_avg.0", Tensor.zeros(3, 4));
        bad.put("step.0", Tensor.zeros(1));
        bad.put("momentum_buffer.0", Tensor.zeros(3, 4));
        bad.put("exp_avg.2", Tensor.zeros(4));
        assertMessage("Adam: cannot load state: 'step.0' has shape [1], expected []; unexpected key "
                + "'momentum_buffer.0'; unexpected key 'exp_avg.2'", () -> adam.loadStateDict(bad));
        assertArrayEquals(expAvg, adam.stateDict().get("exp_avg.0").toArray(), "the good key was not loaded either");
    }

    private static void assertMessage(String expected, Executable call) {
        assertEquals(expected, assertThrows(IllegalArgumentException.class, call).getMessage());
    }
}
