package org.grad4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.grad4j.core.Functional;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;
import org.grad4j.core.io.SafeTensors;
import org.grad4j.layers.Module;
import org.grad4j.layers.Sequential;
import org.grad4j.layers.StateDicts;
import org.grad4j.train.SGD;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * One SGD step of d2l's ResNet-18 against PyTorch (golden {@code resnet18_w8_step}, a reduced-width
 * variant, stages 8 to 64 channels, from {@code examples/src/test/python/resnet18_golden.py}): load
 * PyTorch's initial state dict by its own key names, train one step on 4 images of 96x96 at lr 0.05,
 * and match the logits, the loss, the gradients the file holds, every parameter and running statistic
 * after the step, and the eval-mode logits.
 *
 * <p>Tolerances: logits and eval logits {@code 1e-4 + 1e-3 |expected|}; loss {@code 1e-4};
 * gradients and updated tensors relative {@code 1e-3} of the tensor's largest magnitude. The
 * gradients of the conv biases that a batch norm follows are 0 in exact arithmetic (the batch norm
 * subtracts the batch mean): both PyTorch's and ours must be below {@code 1e-4} of the weight's.
 */
class ResNet18GoldenTest {
    private static final double RTOL = 1e-3;

    @Test
    void oneSgdStepMatchesPyTorchAtReducedWidth() throws Exception {
        Path golden = Path.of(getClass().getResource("/golden/resnet18_w8_step.safetensors").toURI());
        checkStep(SafeTensors.read(golden));
    }

    /** The book's width 64, from a file generated with {@code --width 64} (90 MB: not kept in the repository). */
    @Test
    void oneSgdStepMatchesPyTorchAtFullWidthWhenGiven() throws Exception {
        String file = System.getProperty("grad4j.resnet18.golden");
        Assumptions.assumeTrue(file != null, "set -Dgrad4j.resnet18.golden=FILE to check the full-size golden");
        checkStep(SafeTensors.read(Path.of(file)));
    }

    /** The entries under {@code prefix}, without it, as float32 tensors (I64 counters converted). */
    private static Map<String, Tensor> section(Map<String, Tensor> all, String prefix) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        all.forEach((name, t) -> {
            if (name.startsWith(prefix)) {
                out.put(name.substring(prefix.length()), t);
            }
        });
        return out;
    }

    private static double maxAbs(Tensor t) {
        double max = 0;
        for (float v : t.toArray()) {
            max = Math.max(max, Math.abs(v));
        }
        return max;
    }

    private static void assertClose(String what, Tensor expected, Tensor actual, double atol, double rtol) {
        assertEquals(expected.shape(), actual.shape(), what + ": shape");
        float[] e = expected.toArray();
        float[] a = actual.toArray();
        for (int i = 0; i < e.length; i++) {
            double tol = atol + rtol * Math.abs(e[i]);
            int at = i;
            assertTrue(Math.abs(e[i] - a[i]) <= tol, () -> what + "[" + at + "]: expected " + e[at] + ", got " + a[at]);
        }
    }

    private static void assertRelClose(String what, Tensor expected, Tensor actual) {
        assertClose(what, expected, actual, RTOL * maxAbs(expected), RTOL);
    }

    /** A conv bias whose output goes into a batch norm (the stem's, and conv1 and conv2 of every block). */
    private static boolean biasBeforeBatchNorm(String key) {
        return key.equals("0.0.bias") || key.endsWith(".conv1.bias") || key.endsWith(".conv2.bias");
    }

    private static void checkStep(SafeTensors file) {
        Map<String, Tensor> g = StateDicts.toStateDict(file);
        int width = Integer.parseInt(file.metadata().get("width"));
        float lr = Float.parseFloat(file.metadata().get("lr"));
        Sequential net = ResNet18.model(width, 10);
        assertEquals(file.metadata().get("repr"), net.toString(), "print(net)");
        Map<String, Tensor> init = section(g, "init.");
        assertEquals(List.copyOf(init.keySet()), List.copyOf(net.stateDict().keySet()),
                "the state-dict keys and their order are PyTorch's");
        Module.LoadResult loaded = net.loadStateDict(init, true);
        assertEquals(List.of(), loaded.missingKeys());

        SGD sgd = new SGD(net.parameters(), lr);
        sgd.zeroGrad();
        Tensor logits;
        Tensor loss;
        try (Tape tape = Tape.record()) {
            logits = net.forward(g.get("x"));
            loss = Functional.crossEntropy(logits, file.ints("labels"));
            loss.backward();
        }
        assertClose("logits", g.get("logits"), logits, 1e-4, RTOL);
        assertEquals(g.get("loss").item(), loss.item(), 1e-4, "loss");

        Map<String, Tensor> params = net.namedParameters();
        Map<String, Tensor> grads = section(g, "grad.");
        assertTrue(grads.size() >= 10, "the golden holds gradients of the stem, a shortcut, a late block and the head");
        grads.forEach((key, expected) -> {
            Tensor ours = params.get(key).grad();
            if (biasBeforeBatchNorm(key)) {
                double negligible = 1e-4 * maxAbs(grads.getOrDefault(key.replace("bias", "weight"),
                        params.get(key.replace("bias", "weight")).grad()));
                Tensor zero = Tensor.zeros(expected.shape().dims());
                assertClose("golden grad " + key, zero, expected, negligible, 0);
                assertClose("grad " + key, zero, ours, negligible, 0);
            } else {
                assertRelClose("grad " + key, expected, ours);
            }
        });
        sgd.step();

        Map<String, Tensor> state = net.stateDict();
        Map<String, Tensor> expectedFinal = section(g, "final.");
        assertEquals(state.keySet(), expectedFinal.keySet());
        expectedFinal.forEach((key, expected) -> assertRelClose("final " + key, expected, state.get(key)));

        net.eval();
        try (Tape.NoGrad off = Tape.noGrad()) {
            assertClose("eval logits", g.get("eval.logits"), net.forward(g.get("x")), 1e-4, RTOL);
        }
    }
}
