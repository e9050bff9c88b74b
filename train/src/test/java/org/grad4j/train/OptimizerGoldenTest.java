package org.grad4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;
import org.grad4j.core.io.SafeTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Parity with PyTorch 1.13 on the golden files written by {@code src/test/python/optim_goldens.py}:
 * parameters after each of six steps, clipped gradients, and schedule learning rates.
 *
 * <p>Tolerance for parameters: {@code 5e-7 + 1e-6 * |expected|}, about 4 float32 ulps at the
 * values' size (1). Both sides compute in float32 with the same operation order, each factor
 * rounded to float as PyTorch does, so Adam and AdamW come out bit-identical; SGD and RMSprop differ
 * by at most 1.2e-7 (one or two ulps: PyTorch's vectorized kernels fuse some multiply-adds). A wrong
 * formula (a missing bias correction, eps inside the root) moves values by 1e-4 or more. Clipped
 * gradients: {@code 1e-7 + 1e-6 * |expected|} (measured: equal for the 2-norm and infinity, one ulp
 * for the 3-norm, whose total grad4j sums in double). Schedules are compared in double to {@code 1e-12} relative (closed forms against PyTorch's
 * recursive ones).
 */
class OptimizerGoldenTest {
    static final double ATOL = 5e-7;
    static final double RTOL = 1e-6;

    static SafeTensors golden(String name) {
        URL url = OptimizerGoldenTest.class.getResource("/golden/" + name + ".safetensors");
        assertNotNull(url, "missing test resource golden/" + name + ".safetensors");
        try {
            return SafeTensors.read(Path.of(url.toURI()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The same constructions as the generator's, with grad4j's API. */
    private static final Map<String, Function<List<Tensor>, Optimizer>> OPTIMIZERS = Map.of(
            "sgd_nesterov", ps -> new SGD(ps, SGD.options(0.05).momentum(0.9).nesterov(true).weightDecay(1e-3)),
            "sgd_dampening", ps -> new SGD(ps, SGD.options(0.1).momentum(0.9).dampening(0.3).weightDecay(0.01)),
            "adam_default", ps -> new Adam(ps, 1e-2),
            "adam_l2_amsgrad", ps -> new Adam(ps,
                    Adam.options(1e-2).betas(0.8, 0.99).eps(1e-6).weightDecay(0.1).amsgrad(true)),
            "adamw_default", ps -> new AdamW(ps, 1e-2),
            "adamw_amsgrad", ps -> new AdamW(ps, AdamW.options(1e-2).betas(0.85, 0.95).weightDecay(0.1).amsgrad(true)),
            "rmsprop_default", ps -> new RMSprop(ps, 1e-2),
            "rmsprop_momentum", ps -> new RMSprop(ps, RMSprop.options(1e-2).momentum(0.8)),
            "rmsprop_full", ps -> new RMSprop(ps,
                    RMSprop.options(1e-2).alpha(0.9).eps(1e-6).weightDecay(0.05).momentum(0.8).centered(true)),
            "adamw_groups", ps -> {
                Adam.Options base = AdamW.options(1e-2).weightDecay(0.1);
                return new AdamW(List.of(ParamGroup.of(ps.subList(0, 1), base),
                        ParamGroup.of(ps.subList(1, 2), base.lr(0.05).weightDecay(0))));
            });

    /** Sets {@code p.grad} to exactly {@code g} (the gradient of {@code sum(p * g)}). */
    static void setGrad(Tensor p, Tensor g) {
        p.zeroGrad();
        try (Tape tape = Tape.record()) {
            p.mul(g).sum().backward();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sgd_nesterov", "sgd_dampening", "adam_default", "adam_l2_amsgrad", "adamw_default",
        "adamw_amsgrad", "rmsprop_default", "rmsprop_momentum", "rmsprop_full", "adamw_groups"})
    void matchesPyTorchStepByStep(String name) {
        SafeTensors g = golden("optim_" + name);
        Tensor p0 = g.tensor("init.p0").requiresGrad(true);
        Tensor p1 = g.tensor("init.p1").requiresGrad(true);
        Optimizer opt = OPTIMIZERS.get(name).apply(List.of(p0, p1));
        int steps = Integer.parseInt(g.metadata().get("steps"));
        for (int t = 0; t < steps; t++) {
            setGrad(p0, g.tensor("grad." + t + ".p0"));
            setGrad(p1, g.tensor("grad." + t + ".p1"));
            opt.step();
            assertClose(name + " step " + t + " p0", g.tensor("param." + t + ".p0"), p0, ATOL, RTOL);
            assertClose(name + " step " + t + " p1", g.tensor("param." + t + ".p1"), p1, ATOL, RTOL);
        }
    }

    static void assertClose(String what, Tensor expected, Tensor actual, double atol, double rtol) {
        assertArrayEquals(expected.shape().dims(), actual.shape().dims(), what + ": shape");
        float[] e = expected.toArray();
        float[] a = actual.toArray();
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], a[i], atol + rtol * Math.abs(e[i]), what + ": index " + i);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"l2_clips", "l2_keeps", "inf_clips", "l3_clips"})
    void clipNormMatchesPyTorch(String name) {
        SafeTensors g = golden("optim_clip_grad_norm");
        Tensor p0 = Tensor.zeros(3, 4).requiresGrad(true);
        Tensor p1 = Tensor.zeros(4).requiresGrad(true);
        setGrad(p0, g.tensor(name + ".grad.p0"));
        setGrad(p1, g.tensor(name + ".grad.p1"));
        double maxNorm = Double.parseDouble(g.metadata().get(name + ".max_norm"));
        double normType = Double.parseDouble(g.metadata().get(name + ".norm_type"));
        double total = Gradients.clipNorm(List.of(p0, p1), maxNorm, normType, true);
        float expected = g.tensor(name + ".total_norm").item();
        assertEquals(expected, total, 1e-6 * expected, name + ": total norm");
        assertClose(name + " p0", g.tensor(name + ".clipped.p0"), p0.grad(), 1e-7, 1e-6);
        assertClose(name + " p1", g.tensor(name + ".clipped.p1"), p1.grad(), 1e-7, 1e-6);
    }

    @Test
    void schedulesMatchPyTorch() {
        Map<String, String> meta = golden("optim_schedules").metadata();
        Map<String, LearningRateSchedule> schedules = Map.of(
                "linear_warmup", LearningRateSchedule.linear(0.25, 1, 4),
                "linear_decay", LearningRateSchedule.linear(1, 0.1, 5),
                "one_cycle", LearningRateSchedule.oneCycle(20),
                "one_cycle_custom", LearningRateSchedule.oneCycle(17, 0.25, 10, 100),
                "warmup_then_cosine", LearningRateSchedule.linear(0.1, 1, 3).then(3, LearningRateSchedule.cosine(7, 0.001)));
        assertEquals(schedules.size() * 2, meta.size());
        schedules.forEach((name, s) -> {
            double base = Double.parseDouble(meta.get(name + ".base_lr"));
            double[] expected = Arrays.stream(meta.get(name + ".lrs").split(",")).mapToDouble(Double::parseDouble)
                    .toArray();
            for (int t = 0; t < expected.length; t++) {
                assertEquals(expected[t], s.at(t, base), 1e-12 * expected[t], name + " at " + t);
            }
        });
    }
}
