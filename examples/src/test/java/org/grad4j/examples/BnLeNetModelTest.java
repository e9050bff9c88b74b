package org.grad4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
import org.junit.jupiter.api.Test;

/** The example's model is PyTorch's BN-LeNet: PyTorch's exported weights load into it and give PyTorch's logits. */
class BnLeNetModelTest {
    /** The golden file names layers as d2l's code does; the example's Sequential numbers them. */
    private static final Map<String, String> LAYERS = Map.of("conv1", "0", "bn1", "1", "conv2", "4", "bn2", "5",
            "fc1", "9", "bn3", "10", "fc2", "12", "bn4", "13", "fc3", "15");

    static Map<String, Tensor> pytorchState(SafeTensors g, String prefix) {
        Map<String, Tensor> state = new LinkedHashMap<>();
        for (String name : g.names()) {
            if (name.startsWith(prefix)) {
                String[] parts = name.substring(prefix.length()).split("\\.");
                String field = parts[1].equals("gamma") ? "weight" : parts[1].equals("beta") ? "bias" : parts[1];
                state.put(LAYERS.get(parts[0]) + "." + field, g.tensor(name));
            }
        }
        return state;
    }

    @Test
    void pytorchInitialWeightsGivePyTorchLogitsAndLoss() throws Exception {
        SafeTensors g = SafeTensors.read(Path.of(getClass().getResource("/golden/bn_lenet_28.safetensors").toURI()));
        Sequential net = BnLeNet.model(28, BnLeNet.Norm.library);
        Module.LoadResult result = net.loadStateDict(pytorchState(g, "init."), false);
        assertEquals(List.of(), result.unexpectedKeys());
        List<String> buffers = new java.util.ArrayList<>();
        for (String bn : List.of("1", "5", "10", "13")) {
            buffers.addAll(List.of(bn + ".running_mean", bn + ".running_var", bn + ".num_batches_tracked"));
        }
        assertEquals(buffers, result.missingKeys(), "PyTorch's init file holds the parameters; buffers start at defaults");
        Tensor logits;
        Tensor loss;
        try (Tape tape = Tape.record()) {
            logits = net.forward(g.tensor("step0.x"));
            loss = Functional.crossEntropy(logits, g.ints("step0.labels"));
        }
        float[] expected = g.tensor("step0.logits").toArray();
        float[] actual = logits.toArray();
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-4 + 1e-3 * Math.abs(expected[i]), "logit " + i);
        }
        assertEquals(g.tensor("step0.loss").toArray()[0], loss.item(), 1e-4);
    }
}
