package org.grad4j.benchmarks;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.grad4j.core.Functional;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code Functional.maxPool2d} (2x2, stride 2) after BN-LeNet's first convolution, recorded on a
 * tape as in training (the argmax is saved): {@code config} {@code a} is {@code [256, 6, 24, 24]}
 * (28x28, batch 256), {@code b} is {@code [32, 6, 92, 92]} (96x96, batch 32). Average time per call.
 * {@code forwardBackward} is one recorded forward pass plus its backward pass (the gradient
 * scattered to the argmax) with a fixed seeded upstream gradient; the backward pass alone is too
 * short to time with a per-call setup.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsPrepend = Bench.ADD_VECTOR_MODULE)
public class MaxPoolBenchmark {

    /** Input and upstream gradient. */
    @State(Scope.Thread)
    public static class Pool {
        @Param({"a", "b"})
        public String config;

        @Param({"1", "2"})
        public int threads;

        Tensor x;
        Tensor dy;

        @Setup(Level.Trial)
        public void setUp() {
            int n = Bench.batch(config);
            int h = Bench.size(config) - 4;
            Random rng = new Random(345);
            x = Tensor.wrap(Bench.uniform(rng, n * 6 * h * h), n, 6, h, h).requiresGrad(true);
            dy = Tensor.wrap(Bench.uniform(rng, n * 6 * (h / 2) * (h / 2)), n, 6, h / 2, h / 2);
            Bench.threads("maxPool2d config " + config, threads);
        }
    }

    /** Forward pass recorded on a tape: window maxima and their argmax. */
    @SuppressWarnings("try") // a scope used only for its extent
    @Benchmark
    public Tensor forward(Pool s) {
        try (Tape tape = Tape.record()) {
            return Functional.maxPool2d(s.x, 2, 2, 0);
        }
    }

    /** Recorded forward pass, then backward with the fixed upstream gradient. */
    @SuppressWarnings("try") // a scope used only for its extent
    @Benchmark
    public Tensor forwardBackward(Pool s) {
        s.x.zeroGrad();
        try (Tape tape = Tape.record()) {
            Functional.maxPool2d(s.x, 2, 2, 0).backward(s.dy);
        }
        return s.x.grad();
    }
}
