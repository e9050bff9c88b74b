package org.grad4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.TaskContext;
import org.grad4j.core.Functional;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;
import org.grad4j.layers.Module;
import org.grad4j.train.SGD;
import org.junit.jupiter.api.Test;

class SparkSweepTest {
    /** Ten full-batch SGD steps on 32 seeded examples at learning rate {@code lr}: the final loss. */
    static double finalLoss(double lr) {
        List<Example> data = LocalSpark.examples(32, 14);
        int[] rows = new int[data.size()];
        java.util.Arrays.setAll(rows, i -> i);
        Tensor x = LocalSpark.features(data, rows);
        int[] y = data.stream().mapToInt(Example::label).toArray();
        Module net = LocalSpark.mlp();
        SGD sgd = new SGD(net.parameters(), lr);
        float loss = Float.NaN;
        for (int step = 0; step < 10; step++) {
            sgd.zeroGrad();
            try (Tape tape = Tape.record()) {
                Tensor l = Functional.crossEntropy(net.forward(x), y);
                l.backward();
                loss = l.item();
            }
            sgd.step();
        }
        return loss;
    }

    @Test
    void eachRunIsOneTaskAndTheResultsComeInConfigurationOrder() {
        List<Double> rates = List.of(0.01, 0.1, 0.5);
        List<Double> losses = SparkSweep.run(LocalSpark.context(), rates, SparkSweepTest::finalLoss);
        List<Double> expected = new ArrayList<>();
        for (double lr : rates) {
            expected.add(finalLoss(lr));
        }
        assertEquals(expected, losses);
        List<Integer> partitions = SparkSweep.run(LocalSpark.context(), rates, lr -> TaskContext.getPartitionId());
        assertEquals(List.of(0, 1, 2), partitions);
    }

    @Test
    void aRunThatAlwaysFailsFailsTheSweepWithItsCause() {
        Exception e = assertThrows(Exception.class, () -> SparkSweep.run(LocalSpark.context(), List.of(1, 2), i -> {
            if (i == 2) {
                throw new IllegalStateException("run " + i + " diverged");
            }
            return i;
        }));
        assertTrue(e.getMessage().contains("run 2 diverged"), e.getMessage());
    }

    @Test
    void noConfigurationIsAnError() {
        assertEquals("SparkSweep: no configuration to run", assertThrows(IllegalArgumentException.class,
                () -> SparkSweep.run(LocalSpark.context(), List.<Integer>of(), i -> i)).getMessage());
    }
}
