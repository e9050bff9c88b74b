package org.grad4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;
import org.grad4j.core.io.SafeTensors;
import org.grad4j.data.DataLoader;
import org.grad4j.layers.BatchNorm;
import org.grad4j.layers.BatchNorm2d;
import org.grad4j.layers.Linear;
import org.grad4j.layers.Module;
import org.grad4j.layers.Sequential;
import org.grad4j.layers.StateDicts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Frozen parameters ({@code requiresGrad(false)}): every optimizer, clipping and checkpoints leave them as they are. */
class FreezingTest {
    /** Each optimizer with weight decay and, where it has one, momentum: what would move a parameter with a zero gradient. */
    private static final Map<String, Function<List<Tensor>, Optimizer>> OPTIMIZERS = new LinkedHashMap<>();

    static {
        OPTIMIZERS.put("sgd", ps -> new SGD(ps, SGD.options(0.1).momentum(0.9).dampening(0.1).weightDecay(0.05)));
        OPTIMIZERS.put("sgd_nesterov", ps -> new SGD(ps, SGD.options(0.1).momentum(0.9).weightDecay(0.05).nesterov(true)));
        OPTIMIZERS.put("adam", ps -> new Adam(ps, Adam.options(0.01).weightDecay(0.05).amsgrad(true)));
        OPTIMIZERS.put("adamw", ps -> new AdamW(ps, AdamW.options(0.01).weightDecay(0.05)));
        OPTIMIZERS.put("rmsprop", ps -> new RMSprop(ps, RMSprop.options(0.01).momentum(0.9).weightDecay(0.05)
                .centered(true)));
    }

    /** A loss in which {@code w}'s gradient depends on {@code f}: {@code sum(w * w * x) * sum(f) + sum(f * f)}. */
    private static void backward(Tensor w, Tensor f) {
        try (Tape tape = Tape.record()) {
            w.mul(w).mul(Tensor.of(new float[] {0.5f, -1.5f, 2f})).sum().mul(f.sum()).add(f.square().sum()).backward();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sgd", "sgd_nesterov", "adam", "adamw", "rmsprop"})
    void aParameterFrozenAfterItsFirstStepStaysBitIdenticalAndTheOthersMoveAsIfItWereAbsent(String name) {
        Function<List<Tensor>, Optimizer> make = OPTIMIZERS.get(name);
        float[] w0 = {0.3f, -0.7f, 1.1f};
        float[] f0 = {0.9f, -0.2f};

        Tensor w = Tensor.of(w0.clone()).requiresGrad(true);
        Tensor f = Tensor.of(f0.clone()).requiresGrad(true);
        Optimizer opt = make.apply(List.of(w, f));
        backward(w, f);
        opt.step();
        float[] fAfterFirst = f.toArray();
        assertNotEquals(f0[0], fAfterFirst[0], "f was trained by the first step");
        f.requiresGrad(false);   // it keeps its (non-null) gradient: the case an optimizer must not step
        Map<String, float[]> frozenState = stateOf(opt, "1");
        assertFalse(frozenState.isEmpty(), name + " has state for f");
        for (int step = 0; step < 4; step++) {
            opt.zeroGrad();
            backward(w, f);
            opt.step();
            assertArrayEquals(fAfterFirst, f.toArray(), name + ": f after step " + (step + 2));
        }
        Map<String, float[]> after = stateOf(opt, "1");
        assertEquals(frozenState.keySet(), after.keySet());
        frozenState.forEach((k, v) -> assertArrayEquals(v, after.get(k), name + ": state " + k + " is kept as it was"));

        // The same run with f left out of the optimizer: the first step sees f's first value, the rest its second.
        Tensor wRef = Tensor.of(w0.clone()).requiresGrad(true);
        Tensor fRef = Tensor.of(f0.clone());
        Optimizer ref = make.apply(List.of(wRef));
        backward(wRef, fRef);
        ref.step();
        fRef = Tensor.of(fAfterFirst);
        for (int step = 0; step < 4; step++) {
            ref.zeroGrad();
            backward(wRef, fRef);
            ref.step();
        }
        assertArrayEquals(wRef.toArray(), w.toArray(), name + ": w moved as without f");
        assertNotEquals(w0[0], w.toArray()[0]);
    }

    @ParameterizedTest
    @ValueSource(strings = {"sgd", "sgd_nesterov", "adam", "adamw", "rmsprop"})
    void aParameterFrozenFromTheStartGetsNoStateAndUnfreezingTrainsIt(String name) {
        Tensor w = Tensor.of(new float[] {0.3f, -0.7f, 1.1f}).requiresGrad(true);
        Tensor f = Tensor.of(new float[] {0.9f, -0.2f});
        Optimizer opt = OPTIMIZERS.get(name).apply(List.of(w, f));
        for (int step = 0; step < 3; step++) {
            opt.zeroGrad();
            backward(w, f);
            opt.step();
        }
        assertArrayEquals(new float[] {0.9f, -0.2f}, f.toArray());
        assertTrue(stateOf(opt, "1").isEmpty(), name + ": " + opt.stateDict().keySet());
        f.requiresGrad(true);
        opt.zeroGrad();
        backward(w, f);
        opt.step();
        assertNotEquals(0.9f, f.toArray()[0], "an unfrozen parameter is trained again");
    }

    /** Copies of the optimizer's state slots of parameter {@code index}. */
    private static Map<String, float[]> stateOf(Optimizer opt, String index) {
        Map<String, float[]> out = new LinkedHashMap<>();
        opt.stateDict().forEach((k, v) -> {
            if (k.endsWith("." + index)) {
                out.put(k, v.toArray());
            }
        });
        return out;
    }

    // ---------------------------------------------------------------- checkpoints

    private static final List<EpochMetrics> NO_HISTORY = List.of();

    @Test
    void aCheckpointRecordsTheFrozenParametersAndRestoreFreezesExactlyThose(@TempDir Path dir) throws Exception {
        Sequential net = Synthetic.net(345);
        net.namedParameters().get("1.weight").requiresGrad(false);
        net.namedParameters().get("1.bias").requiresGrad(false);
        Path file = dir.resolve("c.safetensors");
        Checkpoint.save(file, net, new SGD(net.parameters(), 0.1), Map.of(), NO_HISTORY);
        assertEquals("[\"1.weight\", \"1.bias\"]", SafeTensors.read(file).metadata().get("frozen"));

        Sequential other = Synthetic.net(7);
        other.namedParameters().get("0.weight").requiresGrad(false);  // not frozen in the checkpoint: unfrozen
        Checkpoint.read(file).restore(other, new SGD(other.parameters(), 0.1));
        assertEquals(List.of("1.weight", "1.bias"), frozenNames(other));

        Sequential none = new Sequential(new Linear(3, 2));
        Checkpoint.save(file, none, new SGD(none.parameters(), 0.1), Map.of(), NO_HISTORY);
        assertEquals("[]", SafeTensors.read(file).metadata().get("frozen"));
    }

    @Test
    void aCheckpointWrittenBeforeFrozenParametersWereRecordedLeavesTheFlags(@TempDir Path dir) throws Exception {
        Sequential net = Synthetic.net(345);
        Path file = dir.resolve("old.safetensors");
        StateDicts.toSafeTensors(net).putMetadata(Checkpoint.KEY, Checkpoint.VERSION).putMetadata("epoch", "0")
                .putMetadata("history", "").write(file);
        Sequential fresh = Synthetic.net(7);
        Checkpoint.read(file).restore(fresh, new SGD(fresh.parameters(), 0.1));
        assertEquals(List.of(), frozenNames(fresh), "a model built fresh: nothing frozen");
        Sequential tuned = Synthetic.net(7);
        tuned.namedParameters().get("4.bias").requiresGrad(false);
        Checkpoint.read(file).restore(tuned, new SGD(tuned.parameters(), 0.1));
        assertEquals(List.of("4.bias"), frozenNames(tuned), "what the code froze stays frozen");
    }

    @Test
    void aFrozenNameThatIsNotAParameterIsNamedBeforeAnythingIsLoaded(@TempDir Path dir) throws Exception {
        Sequential net = new Sequential(new Linear(3, 2));
        Path file = dir.resolve("c.safetensors");
        writeWithFrozen(file, net, "[\"0.bias\", \"1.weight\"]");
        Sequential other = new Sequential(new Linear(3, 2));
        float[] before = other.namedParameters().get("0.weight").toArray();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Checkpoint.read(file).restore(other, new SGD(other.parameters(), 0.1)));
        assertEquals("c.safetensors: frozen parameter '1.weight' is not a parameter of the model (Sequential), "
                + "expected one of 0.weight, 0.bias", e.getMessage());
        assertArrayEquals(before, other.namedParameters().get("0.weight").toArray(), "nothing was loaded");
        assertEquals(List.of(), frozenNames(other), "nothing was frozen");

        Sequential bn = new Sequential(new BatchNorm2d(2));
        writeWithFrozen(file, bn, "[\"0.running_mean\", \"x\"]");
        e = assertThrows(IllegalArgumentException.class,
                () -> Checkpoint.read(file).restore(bn, new SGD(bn.parameters(), 0.1)));
        assertEquals("c.safetensors: frozen parameters '0.running_mean', 'x' are not parameters of the model "
                + "(Sequential), expected one of 0.weight, 0.bias", e.getMessage());
    }

    @Test
    void aMalformedFrozenListIsNamedWhenTheFileIsRead(@TempDir Path dir) throws Exception {
        Sequential net = new Sequential(new Linear(3, 2));
        Path file = dir.resolve("c.safetensors");
        String expected = ", expected a JSON array of distinct parameter names such as [\"1.weight\", \"1.bias\"]";
        writeWithFrozen(file, net, "0.weight");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.read(file));
        assertEquals("c.safetensors: metadata 'frozen': invalid number, expected a digit after '.' at character 2" + expected,
                e.getMessage());
        writeWithFrozen(file, net, "{\"0.weight\": 1}");
        e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.read(file));
        assertEquals("c.safetensors: metadata 'frozen' is an object" + expected, e.getMessage());
        writeWithFrozen(file, net, "[\"0.bias\", 3]");
        e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.read(file));
        assertEquals("c.safetensors: metadata 'frozen' holds a number" + expected, e.getMessage());
        writeWithFrozen(file, net, "[\"0.bias\", \"0.bias\"]");
        e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.read(file));
        assertEquals("c.safetensors: metadata 'frozen' holds '0.bias' twice" + expected, e.getMessage());
    }

    private static void writeWithFrozen(Path file, Sequential net, String frozen) throws Exception {
        StateDicts.toSafeTensors(net).putMetadata(Checkpoint.KEY, Checkpoint.VERSION).putMetadata("epoch", "0")
                .putMetadata("history", "").putMetadata("frozen", frozen).write(file);
    }

    private static List<String> frozenNames(Sequential net) {
        List<String> out = new ArrayList<>();
        net.namedParameters().forEach((k, p) -> {
            if (!p.requiresGrad()) {
                out.add(k);
            }
        });
        return out;
    }

    @Test
    void theUserGuidesFreezingExampleKeepsTheLearnedValues(@TempDir Path dir) throws Exception {
        Sequential full = Synthetic.net(345);
        new Trainer(full, new SGD(full.parameters(), 0.1)).fit(loader(), null, 1);
        StateDicts.save(full, dir.resolve("full-run.safetensors"));
        Sequential net = Synthetic.net(7);
        // --- from docs/user-guide.md ("Freezing parameters"), the file under dir
        for (Module m : net.modules()) {
            if (m instanceof BatchNorm bn) {
                bn.weight().requiresGrad(false);
                bn.bias().requiresGrad(false);
            }
        }
        Map<String, Tensor> learned = StateDicts.toStateDict(SafeTensors.read(dir.resolve("full-run.safetensors")));
        for (String name : List.of("1.weight", "1.bias")) {
            Tensor p = net.namedParameters().get(name);
            p.copyFrom(learned.get(name));
            p.requiresGrad(false);
        }
        SGD sgd = new SGD(net.parameters(), SGD.options(0.9).momentum(0.9).weightDecay(5e-4));   // frozen ones stay put
        // --- end
        float[] before = net.namedParameters().get("0.weight").toArray();
        new Trainer(net, sgd).fit(loader(), null, 1);
        assertArrayEquals(learned.get("1.weight").toArray(), net.namedParameters().get("1.weight").toArray());
        assertArrayEquals(learned.get("1.bias").toArray(), net.namedParameters().get("1.bias").toArray());
        assertNotEquals(before[0], net.namedParameters().get("0.weight").toArray()[0], "the rest trained");
    }

    // ---------------------------------------------------------------- the trainer

    private static DataLoader loader() {
        return new DataLoader(Synthetic.dataset(256, 3), 32).withShuffle(5);
    }

    /** The synthetic net with its batch norm's gamma and beta fixed at 1.5 and -0.25, as at values a run learned. */
    private static Sequential withFixedAffine(long seed) {
        Sequential net = Synthetic.net(seed);
        BatchNorm2d bn = (BatchNorm2d) net.modules().get(2);
        bn.weight().fill(1.5f).requiresGrad(false);
        bn.bias().fill(-0.25f).requiresGrad(false);
        return net;
    }

    @Test
    void aResumedRunWithFrozenGammaAndBetaEqualsTheStraightOneBitForBit(@TempDir Path dir) throws Exception {
        SGD.Options options = SGD.options(0.1).momentum(0.9).weightDecay(1e-3);
        Sequential straight = withFixedAffine(345);
        new Trainer(straight, new SGD(straight.parameters(), options)).withSeed(11).withGradientClipping(1.0)
                .fit(loader(), null, 3);

        Path ckpt = dir.resolve("ckpt.safetensors");
        Sequential first = withFixedAffine(345);
        new Trainer(first, new SGD(first.parameters(), options)).withSeed(11).withGradientClipping(1.0)
                .withCheckpoint(ckpt).fit(loader(), null, 1);

        Sequential resumed = Synthetic.net(999);  // nothing frozen, other values: both come from the checkpoint
        new Trainer(resumed, new SGD(resumed.parameters(), options)).withSeed(11).withGradientClipping(1.0)
                .resumeFrom(Checkpoint.read(ckpt)).fit(loader(), null, 3);

        assertEquals(List.of("1.weight", "1.bias"), frozenNames(resumed));
        Map<String, Tensor> a = straight.stateDict();
        Map<String, Tensor> b = resumed.stateDict();
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) {
            assertArrayEquals(a.get(k).toArray(), b.get(k).toArray(), k);
        }
        assertArrayEquals(new float[] {1.5f, 1.5f, 1.5f, 1.5f}, b.get("1.weight").toArray());
        assertArrayEquals(new float[] {-0.25f, -0.25f, -0.25f, -0.25f}, b.get("1.bias").toArray());
        assertNotEquals(Synthetic.net(345).stateDict().get("0.weight").get(0, 0, 0, 0), b.get("0.weight").get(0, 0, 0, 0),
                "the rest trained");
    }
}
