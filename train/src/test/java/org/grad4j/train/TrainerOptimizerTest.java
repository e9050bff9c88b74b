package org.grad4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.grad4j.core.Tensor;
import org.grad4j.data.DataLoader;
import org.grad4j.data.ImageDataset;
import org.grad4j.layers.Sequential;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trainer with parameter groups, per-step schedules, gradient clipping and adaptive optimizers. */
class TrainerOptimizerTest {
    private static final ImageDataset TRAIN = Synthetic.dataset(128, 345);

    private static DataLoader trainLoader() {
        return new DataLoader(TRAIN, 32).withShuffle(7);   // 4 batches
    }

    /** Records the learning rates of every step. */
    private static final class Recording implements Optimizer {
        final Optimizer inner;
        final List<double[]> lrs = new ArrayList<>();

        Recording(Optimizer inner) {
            this.inner = inner;
        }

        @Override
        public void step() {
            lrs.add(inner.learningRates());
            inner.step();
        }

        @Override
        public void zeroGrad() {
            inner.zeroGrad();
        }

        @Override
        public double learningRate() {
            return inner.learningRate();
        }

        @Override
        public void setLearningRate(double lr) {
            inner.setLearningRate(lr);
        }

        @Override
        public double[] learningRates() {
            return inner.learningRates();
        }

        @Override
        public void setLearningRates(double... lrs) {
            inner.setLearningRates(lrs);
        }

        @Override
        public List<Tensor> parameters() {
            return inner.parameters();
        }

        @Override
        public Map<String, Tensor> stateDict() {
            return inner.stateDict();
        }

        @Override
        public void loadStateDict(Map<String, Tensor> state) {
            inner.loadStateDict(state);
        }
    }

    private static SGD twoGroups(Sequential net) {
        SGD.Options o = SGD.options(0.1).momentum(0.9);
        return new SGD(ParamGroup.splitWeightDecay(net.parameters(), o.weightDecay(1e-4), o.lr(0.05)));
    }

    @Test
    void aStepScheduleSetsEveryGroupsRateBeforeEveryStep() {
        Sequential net = Synthetic.net(345);
        Recording opt = new Recording(twoGroups(net));
        LearningRateSchedule s = LearningRateSchedule.oneCycle(8);
        new Trainer(net, opt).withStepSchedule(s).fit(trainLoader(), null, 2);
        assertEquals(8, opt.lrs.size());
        for (int t = 0; t < 8; t++) {
            assertArrayEquals(new double[] {s.at(t, 0.1), s.at(t, 0.05)}, opt.lrs.get(t), "step " + t);
        }
    }

    @Test
    void anEpochScheduleAppliesToEachGroupsBase() {
        Sequential net = Synthetic.net(345);
        Recording opt = new Recording(twoGroups(net));
        new Trainer(net, opt).withSchedule(LearningRateSchedule.step(1, 0.5)).fit(trainLoader(), null, 2);
        assertArrayEquals(new double[] {0.1, 0.05}, opt.lrs.get(3));
        assertArrayEquals(new double[] {0.05, 0.025}, opt.lrs.get(4));
    }

    @Test
    void aScheduleTooShortForTheRunFailsBeforeTraining() {
        Sequential net = Synthetic.net(345);
        float[] before = net.parameters().get(0).toArray();
        Trainer t = new Trainer(net, new AdamW(net.parameters(), 1e-3)).withStepSchedule(LearningRateSchedule.oneCycle(7));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.fit(trainLoader(), null, 2));
        assertEquals("one-cycle schedule: step 7 is outside the cycle of 7 steps (expected 0 to 6)", e.getMessage());
        assertArrayEquals(before, net.parameters().get(0).toArray(), "no step was taken");
    }

    @Test
    void clippingBoundsTheUpdate() {
        Sequential clipped = Synthetic.net(345);
        Sequential free = Synthetic.net(345);
        new Trainer(clipped, new SGD(clipped.parameters(), 0.1)).withGradientClipping(1e-3).fit(trainLoader(), null, 1);
        new Trainer(free, new SGD(free.parameters(), 0.1)).fit(trainLoader(), null, 1);
        Sequential start = Synthetic.net(345);
        double movedClipped = 0;
        double movedFree = 0;
        for (int i = 0; i < start.parameters().size(); i++) {
            float[] s = start.parameters().get(i).toArray();
            float[] c = clipped.parameters().get(i).toArray();
            float[] f = free.parameters().get(i).toArray();
            for (int j = 0; j < s.length; j++) {
                movedClipped += (c[j] - s[j]) * (double) (c[j] - s[j]);
                movedFree += (f[j] - s[j]) * (double) (f[j] - s[j]);
            }
        }
        // Four steps of lr 0.1 with gradients of norm <= 1e-3 move the weights by at most 4e-4 (plus rounding).
        assertEquals(0, Math.sqrt(movedClipped), 4.1e-4);
        assertEquals(true, Math.sqrt(movedFree) > 1e-2, "unclipped moves far more: " + Math.sqrt(movedFree));
        assertEquals("Trainer: invalid max gradient norm 0.0 (expected > 0)", assertThrows(
                IllegalArgumentException.class, () -> new Trainer(free, new SGD(free.parameters(), 0.1))
                        .withGradientClipping(0)).getMessage());
    }

    private static Trainer adamwRun(Sequential net) {
        Adam.Options o = AdamW.options(3e-3);
        AdamW adamw = new AdamW(ParamGroup.splitWeightDecay(net.parameters(), o, o.weightDecay(0)));
        return new Trainer(net, adamw).withSeed(11).withStepSchedule(LearningRateSchedule.oneCycle(12))
                .withGradientClipping(1);
    }

    @Test
    void resumingAdamWWithGroupsAndAStepScheduleGivesBitIdenticalWeights(@TempDir Path dir) throws Exception {
        Sequential straight = Synthetic.net(345);
        adamwRun(straight).fit(trainLoader(), null, 3);

        Path ckpt = dir.resolve("ckpt.safetensors");
        Sequential first = Synthetic.net(345);
        adamwRun(first).withCheckpoint(ckpt).fit(trainLoader(), null, 1);

        Sequential resumed = Synthetic.net(999);
        adamwRun(resumed).resumeFrom(Checkpoint.read(ckpt)).fit(trainLoader(), null, 3);
        Map<String, Tensor> a = straight.stateDict();
        Map<String, Tensor> b = resumed.stateDict();
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) {
            assertArrayEquals(a.get(k).toArray(), b.get(k).toArray(), k);
        }
    }
}
