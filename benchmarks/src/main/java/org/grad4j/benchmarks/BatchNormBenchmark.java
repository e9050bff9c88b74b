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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code Functional.batchNormTraining} (batch statistics, affine, eps 1e-5) at the output of
 * BN-LeNet's first convolution, recorded on a tape as in training: {@code config} {@code a} is
 * {@code [256, 6, 24, 24]} (28x28, batch 256), {@code b} is {@code [32, 6, 92, 92]} (96x96, batch
 * 32). Average time per call. {@code backward} measures only the backward pass (dx, dgamma, dbeta)
 * with a fixed seeded upstream gradient; the forward pass is recorded before each call, untimed.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsPrepend = Bench.ADD_VECTOR_MODULE)
public class BatchNormBenchmark {
    static final double EPS = 1e-5;

    /** Input, scale, shift and upstream gradient. */
    @State(Scope.Thread)
    public static class Norm {
        @Param({"a", "b"})
        public String config;

        @Param({"1", "2"})
        public int threads;

        Tensor x;
        Tensor gamma;
        Tensor beta;
        Tensor dy;

        @Setup(Level.Trial)
        public void setUp() {
            int n = Bench.batch(config);
            int h = Bench.size(config) - 4;
            Random rng = new Random(345);
            x = Tensor.wrap(Bench.uniform(rng, n * 6 * h * h), n, 6, h, h).requiresGrad(true);
            gamma = Tensor.wrap(Bench.uniform(rng, 6), 6).requiresGrad(true);
            beta = Tensor.wrap(Bench.uniform(rng, 6), 6).requiresGrad(true);
            dy = Tensor.wrap(Bench.uniform(rng, n * 6 * h * h), n, 6, h, h);
            Bench.threads("batchNorm config " + config, threads);
        }
    }

    /** Batch norm whose forward pass is recorded before each call of {@link #backward}. */
    @State(Scope.Thread)
    public static class Recorded extends Norm {
        Tape tape;
        Tensor y;

        /** Zeroes the gradients, as a training step does, and records the forward pass (not timed). */
        @Setup(Level.Invocation)
        public void record() {
            x.zeroGrad();
            gamma.zeroGrad();
            beta.zeroGrad();
            tape = Tape.record();
            y = Functional.batchNormTraining(x, gamma, beta, EPS).output();
        }

        @TearDown(Level.Invocation)
        public void close() {
            tape.close();
            tape = null;
            y = null;
        }
    }

    /** Forward pass recorded on a tape: per-channel mean and biased variance, normalise, scale, shift. */
    @SuppressWarnings("try") // a scope used only for its extent
    @Benchmark
    public Functional.BatchNormResult forward(Norm s) {
        try (Tape tape = Tape.record()) {
            return Functional.batchNormTraining(s.x, s.gamma, s.beta, EPS);
        }
    }

    /** Backward pass: PyTorch's closed form for dx, plus dgamma and dbeta. */
    @Benchmark
    public Tensor backward(Recorded s) {
        s.y.backward(s.dy);
        return s.x.grad();
    }
}
