package org.grad4j.layers;

import static org.grad4j.layers.Golden.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.grad4j.core.Functional;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;
import org.grad4j.core.io.SafeTensors;
import org.junit.jupiter.api.Test;

/**
 * The chapter's BN-LeNet end to end against PyTorch (golden {@code bn_lenet_28}): load the initial
 * weights, run two SGD steps at lr 1.0 with cross-entropy on 16 Fashion-MNIST images, match the
 * logits, the losses, every gradient, the final parameters and running statistics, then the
 * evaluation-mode logits.
 */
class BnLeNetGoldenTest {
    /** The golden README: relative 1e-3 on gradients and parameters, 1e-4 on losses. */
    private static final double RTOL = 1e-3;
    private static final double LOSS_TOL = 1e-4;

    /**
     * The golden file names the layers conv1 bn1 conv2 bn2 fc1 bn3 fc2 bn4 fc3 and calls the
     * BatchNorm parameters gamma and beta; our Sequential uses PyTorch's indices and weight/bias.
     */
    private static final Map<String, String> LAYER = Map.of(
            "conv1", "0", "bn1", "1", "conv2", "4", "bn2", "5",
            "fc1", "9", "bn3", "10", "fc2", "12", "bn4", "13", "fc3", "15");

    /** Conv and linear biases followed by a batch norm. */
    private static final Set<String> BIAS_BEFORE_BN = Set.of("0.bias", "4.bias", "9.bias", "12.bias");

    private static String ourKey(String goldenKey) {
        int dot = goldenKey.indexOf('.');
        String layer = LAYER.get(goldenKey.substring(0, dot));
        String name = goldenKey.substring(dot + 1);
        name = name.equals("gamma") ? "weight" : name.equals("beta") ? "bias" : name;
        return layer + "." + name;
    }

    /** The tensors under {@code prefix} with the prefix removed and the key mapped to ours. */
    private static Map<String, Tensor> section(SafeTensors g, String prefix) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String name : g.names()) {
            if (name.startsWith(prefix)) {
                out.put(ourKey(name.substring(prefix.length())), g.tensor(name));
            }
        }
        return out;
    }

    /** Gradients and parameters: relative 1e-3, with an absolute floor of 1e-3 of the tensor's largest value. */
    private static void assertRelClose(String what, Tensor expected, Tensor actual) {
        assertClose(what, expected, actual, RTOL * maxAbs(expected), RTOL);
    }

    private static double maxAbs(Tensor t) {
        double max = 0;
        for (float v : t.toArray()) {
            max = Math.max(max, Math.abs(v));
        }
        return max;
    }

    @Test
    void twoSgdStepsThenEvalMatchPyTorch() {
        SafeTensors g = Golden.load("bn_lenet_28");
        assertEquals("1.0", g.metadata().get("lr"));
        Sequential net = Nets.bnLeNet(256);
        Module.LoadResult loaded = net.loadStateDict(section(g, "init."), false);
        assertEquals(List.of(), loaded.unexpectedKeys());
        assertEquals(List.of(
                "1.running_mean", "1.running_var", "1.num_batches_tracked",
                "5.running_mean", "5.running_var", "5.num_batches_tracked",
                "10.running_mean", "10.running_var", "10.num_batches_tracked",
                "13.running_mean", "13.running_var", "13.num_batches_tracked"), loaded.missingKeys());
        Map<String, Tensor> params = net.namedParameters();
        float lr = Float.parseFloat(g.metadata().get("lr"));

        for (int step = 0; step < 2; step++) {
            String p = "step" + step + ".";
            net.zeroGrad();
            try (Tape tape = Tape.record()) {
                Tensor logits = net.forward(g.tensor(p + "x"));
                Tensor loss = Functional.crossEntropy(logits, g.ints(p + "labels"));
                assertClose(p + "logits", g.tensor(p + "logits"), logits, 1e-4, RTOL);
                assertEquals(g.tensor(p + "loss").item(), loss.item(), LOSS_TOL, p + "loss");
                loss.backward();
            }
            Map<String, Tensor> grads = section(g, p + "grad.");
            assertEquals(params.keySet(), grads.keySet(), "every parameter has a golden gradient");
            for (Map.Entry<String, Tensor> e : grads.entrySet()) {
                String key = e.getKey();
                Tensor ours = params.get(key).grad();
                if (BIAS_BEFORE_BN.contains(key)) {
                    // The batch norm that follows subtracts the batch mean, so this bias has no
                    // effect and its gradient is 0 in exact arithmetic: PyTorch's value and ours
                    // are both rounding noise. Both must be negligible next to the weight's gradient.
                    Tensor weightGrad = grads.get(key.replace("bias", "weight"));
                    double negligible = 1e-4 * maxAbs(weightGrad);
                    assertClose(p + "golden grad " + key, Tensor.zeros(ours.shape().dims()), e.getValue(), negligible, 0);
                    assertClose(p + "grad " + key, Tensor.zeros(ours.shape().dims()), ours, negligible, 0);
                } else {
                    assertRelClose(p + "grad " + key, e.getValue(), ours);
                }
            }
            try (Tape.NoGrad off = Tape.noGrad()) {
                for (Tensor w : net.parameters()) {
                    w.addInPlace(-lr, w.grad());
                }
            }
        }

        Map<String, Tensor> state = net.stateDict();
        Map<String, Tensor> expectedFinal = section(g, "final.");
        assertEquals(params.size() + 8, expectedFinal.size());
        expectedFinal.forEach((key, expected) -> assertRelClose("final " + key, expected, state.get(key)));
        for (String bn : List.of("1", "5", "10", "13")) {
            assertEquals(2f, state.get(bn + ".num_batches_tracked").item(), bn + ".num_batches_tracked");
        }

        net.eval();
        try (Tape.NoGrad off = Tape.noGrad()) {
            assertClose("eval logits", g.tensor("eval.logits"), net.forward(g.tensor("eval.x")), 1e-4, RTOL);
        }
    }
}
