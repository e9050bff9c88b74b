package org.grad4j.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;
import org.junit.jupiter.api.Test;

/** Registration, walking, modes, gradients and state dicts of {@link Module}. */
class ModuleTest {

    /** A module with named children, registered between its own parameter and buffer. */
    static final class Net extends Module {
        final Tensor scale = parameter("scale", Tensor.ones(1));
        final Conv2d conv1 = child("conv1", new Conv2d(1, 2, 3, 1, 0, true, new Random(345)));
        final BatchNorm2d bn1 = child("bn1", new BatchNorm2d(2));
        final Tensor steps = buffer("steps", Tensor.zeros(1));

        @Override
        public Tensor forward(Tensor x) {
            return bn1.forward(conv1.forward(x)).mul(scale);
        }
    }

    @Test
    void namedChildrenGivePyTorchKeysOwnEntriesFirst() {
        Net net = new Net();
        assertEquals(List.of("scale", "steps", "conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias",
                "bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked"), keys(net.stateDict()));
        assertEquals(List.of("scale", "conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias"),
                keys(net.namedParameters()));
        assertEquals(List.of("steps", "bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked"),
                keys(net.namedBuffers()));
        assertEquals(List.of("conv1", "bn1"), keys(net.namedChildren()));
        assertEquals(List.of(net, net.conv1, net.bn1), net.modules());
    }

    @Test
    void sequentialKeysAreIndices() {
        Sequential net = Nets.bnLeNet(256);
        List<String> keys = keys(net.stateDict());
        assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                "1.num_batches_tracked", "4.weight", "4.bias"), keys.subList(0, 9));
        assertEquals(List.of("13.weight", "13.bias", "13.running_mean", "13.running_var",
                "13.num_batches_tracked", "15.weight", "15.bias"), keys.subList(keys.size() - 7, keys.size()));
        assertEquals(2 * 2 + 4 * 5 + 3 * 2, keys.size());
        assertEquals(List.of("1.num_batches_tracked", "5.num_batches_tracked", "10.num_batches_tracked",
                "13.num_batches_tracked"), new ArrayList<>(net.integerStateKeys()));
    }

    @Test
    void parametersAreRecursiveInOrderAndRequireGrad() {
        Net net = new Net();
        List<Tensor> params = net.parameters();
        assertEquals(5, params.size());
        assertSame(net.scale, params.get(0));
        assertSame(net.conv1.weight(), params.get(1));
        assertSame(net.conv1.bias(), params.get(2));
        assertSame(net.bn1.weight(), params.get(3));
        assertSame(net.bn1.bias(), params.get(4));
        for (Tensor p : params) {
            assertTrue(p.requiresGrad());
        }
        assertFalse(net.steps.requiresGrad());
        assertFalse(net.bn1.runningMean().requiresGrad());
    }

    @Test
    void sharedModuleParametersAppearOnceButStateDictHasBothKeys() {
        Linear shared = new Linear(3, 3);
        Sequential net = new Sequential(shared, new Sigmoid(), shared);
        assertEquals(2, net.parameters().size());
        assertEquals(List.of("0.weight", "0.bias"), keys(net.namedParameters()));
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), keys(net.stateDict()));
        assertEquals(3, net.modules().size());
    }

    @Test
    void trainAndEvalAreRecursiveAndReturnThis() {
        Sequential inner = new Sequential(new BatchNorm1d(3), new Dropout(0.5));
        Sequential net = new Sequential(new Linear(2, 3), inner);
        for (Module m : net.modules()) {
            assertTrue(m.isTraining(), "new modules train");
        }
        assertSame(net, net.eval());
        for (Module m : net.modules()) {
            assertFalse(m.isTraining(), m.typeName());
        }
        assertSame(net, net.train());
        for (Module m : net.modules()) {
            assertTrue(m.isTraining(), m.typeName());
        }
        assertSame(net, net.train(false));
        assertFalse(inner.get(1).isTraining());
        inner.train();
        assertFalse(net.isTraining(), "train() on a child does not touch its parent");
        assertTrue(inner.get(0).isTraining());
        Module leaf = new Linear(1, 1);
        assertSame(leaf, leaf.eval());
    }

    @Test
    void trainingModeDoesNotChangeGradMode() {
        Sequential net = Nets.bnLeNet(256);
        net.eval();
        assertTrue(Tape.isGradEnabled());
        try (Tape.NoGrad off = Tape.noGrad()) {
            net.train();
            assertFalse(Tape.isGradEnabled());
        }
    }

    @Test
    void zeroGradZeroesEveryParameterGradient() {
        Net net = new Net();
        Tensor x = Tensor.randn(new Random(345), 2, 1, 5, 5);
        try (Tape tape = Tape.record()) {
            net.forward(x).square().sum().backward();
        }
        assertTrue(maxAbs(net.conv1.weight().grad()) > 0);
        net.zeroGrad();
        for (Tensor p : net.parameters()) {
            assertEquals(0.0, maxAbs(p.grad()), "zeroed");
        }
    }

    @Test
    void registrationErrors() {
        class Bad extends Module {
            @Override
            public Tensor forward(Tensor x) {
                return x;
            }

            void add(String name) {
                parameter(name, Tensor.zeros(1));
            }
        }
        Bad bad = new Bad();
        bad.add("w");
        assertEquals("Bad: 'w' is already registered",
                assertThrows(IllegalArgumentException.class, () -> bad.add("w")).getMessage());
        assertEquals("Bad: parameter name 'a.b' must be non-empty and contain no '.'",
                assertThrows(IllegalArgumentException.class, () -> bad.add("a.b")).getMessage());
        assertEquals("Bad: parameter name '' must be non-empty and contain no '.'",
                assertThrows(IllegalArgumentException.class, () -> bad.add("")).getMessage());
    }

    @Test
    void nonLeafParameterIsRefused() {
        Tensor w = Tensor.ones(2).requiresGrad(true);
        try (Tape tape = Tape.record()) {
            Tensor recorded = w.mul(2f);
            class Holder extends Module {
                Holder() {
                    parameter("w", recorded);
                }

                @Override
                public Tensor forward(Tensor x) {
                    return x;
                }
            }
            assertEquals("Holder: parameter 'w' must be a leaf tensor, not the result of a recorded op (use detach())",
                    assertThrows(IllegalArgumentException.class, Holder::new).getMessage());
        }
    }

    @Test
    void cyclesAreRefused() {
        Sequential a = new Sequential();
        assertEquals("Sequential: child '0' is this module or contains it",
                assertThrows(IllegalArgumentException.class, () -> a.add(a)).getMessage());
        Sequential b = new Sequential(a);
        assertEquals("Sequential: child '0' is this module or contains it",
                assertThrows(IllegalArgumentException.class, () -> a.add(b)).getMessage());
        assertThrows(NullPointerException.class, () -> a.add(null));
    }

    @Test
    void stateDictValuesShareStorageButAreDetached() {
        Linear fc = new Linear(2, 2);
        Tensor w = fc.stateDict().get("weight");
        assertNotSame(fc.weight(), w);
        assertFalse(w.requiresGrad());
        try (Tape.NoGrad off = Tape.noGrad()) {
            fc.weight().fill(3f);
        }
        assertEquals(3f, w.get(1, 1));
    }

    @Test
    void loadStateDictCopiesInPlace() {
        Sequential src = Nets.bnLeNet(256);
        Sequential dst = Nets.bnLeNet(256);
        Tensor dstWeight = ((Conv2d) dst.get(0)).weight();
        Map<String, Tensor> state = src.stateDict();
        state.put("1.num_batches_tracked", Tensor.scalar(7));
        Module.LoadResult r = dst.loadStateDict(state, true);
        assertEquals(List.of(), r.missingKeys());
        assertEquals(List.of(), r.unexpectedKeys());
        assertSame(dstWeight, ((Conv2d) dst.get(0)).weight(), "same object, new values");
        assertArrayEquals(((Conv2d) src.get(0)).weight().toArray(), dstWeight.toArray());
        assertEquals(7, ((BatchNorm2d) dst.get(1)).numBatchesTracked());
        try (Tape.NoGrad off = Tape.noGrad()) {
            ((Conv2d) src.get(0)).weight().fill(0f);
        }
        assertFalse(maxAbs(dstWeight) == 0, "the source is copied, not shared");
        assertTrue(dstWeight.requiresGrad(), "still a parameter");
    }

    @Test
    void loadStateDictReportsEveryProblemAndChangesNothing() {
        Sequential net = new Sequential(new Conv2d(1, 6, 5), new BatchNorm2d(6));
        float[] before = ((Conv2d) net.get(0)).bias().toArray();
        Map<String, Tensor> state = new LinkedHashMap<>(net.stateDict());
        state.remove("1.running_mean");
        state.remove("1.num_batches_tracked");
        state.put("0.weight", Tensor.zeros(6, 1, 3, 3));
        state.put("0.bias", Tensor.full(9f, 6));
        state.put("1.bias", Tensor.zeros(5));
        state.put("2.weight", Tensor.zeros(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> net.loadStateDict(state, true));
        assertEquals("Error(s) in loading state_dict for Sequential:\n"
                + "\tMissing key(s) in state_dict: \"1.running_mean\", \"1.num_batches_tracked\".\n"
                + "\tUnexpected key(s) in state_dict: \"2.weight\".\n"
                + "\tsize mismatch for 0.weight: copying a param with shape [6, 1, 3, 3] from checkpoint, "
                + "the shape in current model is [6, 1, 5, 5].\n"
                + "\tsize mismatch for 1.bias: copying a param with shape [5] from checkpoint, "
                + "the shape in current model is [6].", e.getMessage());
        assertArrayEquals(before, ((Conv2d) net.get(0)).bias().toArray(), "nothing copied");

        IllegalArgumentException lenient = assertThrows(IllegalArgumentException.class,
                () -> net.loadStateDict(state, false));
        assertEquals("Error(s) in loading state_dict for Sequential:\n"
                + "\tsize mismatch for 0.weight: copying a param with shape [6, 1, 3, 3] from checkpoint, "
                + "the shape in current model is [6, 1, 5, 5].\n"
                + "\tsize mismatch for 1.bias: copying a param with shape [5] from checkpoint, "
                + "the shape in current model is [6].", lenient.getMessage());
    }

    @Test
    void nonStrictLoadReturnsMissingAndUnexpectedKeys() {
        Sequential net = new Sequential(new Linear(2, 3), new BatchNorm1d(3));
        Map<String, Tensor> state = new LinkedHashMap<>();
        state.put("0.weight", Tensor.full(0.5f, 3, 2));
        state.put("extra", Tensor.zeros(1));
        Module.LoadResult r = net.loadStateDict(state, false);
        assertEquals(List.of("0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                "1.num_batches_tracked"), r.missingKeys());
        assertEquals(List.of("extra"), r.unexpectedKeys());
        assertEquals(0.5f, ((Linear) net.get(0)).weight().get(2, 1));
        assertEquals("Error(s) in loading state_dict for Sequential:\n"
                        + "\tMissing key(s) in state_dict: \"0.bias\", \"1.weight\", \"1.bias\", \"1.running_mean\", "
                        + "\"1.running_var\", \"1.num_batches_tracked\".\n"
                        + "\tUnexpected key(s) in state_dict: \"extra\".",
                assertThrows(IllegalArgumentException.class, () -> net.loadStateDict(state, true)).getMessage());
    }

    @Test
    void loadingWhileATapeRecordsMakesBackwardFailInsteadOfUsingStaleValues() {
        Linear fc = new Linear(2, 1, true, new Random(345));
        Map<String, Tensor> state = fc.stateDict();
        Map<String, Tensor> copy = new LinkedHashMap<>();
        state.forEach((k, v) -> copy.put(k, v.copy()));
        try (Tape tape = Tape.record()) {
            Tensor loss = fc.forward(Tensor.ones(1, 2)).sum();
            fc.loadStateDict(copy, true);
            assertThrows(IllegalStateException.class, loss::backward);
        }
    }

    private static List<String> keys(Map<String, ?> map) {
        return new ArrayList<>(map.keySet());
    }

    static double maxAbs(Tensor t) {
        double m = 0;
        for (float v : t.toArray()) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }
}
