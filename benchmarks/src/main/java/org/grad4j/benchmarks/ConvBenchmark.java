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
 * {@code Functional.conv2d} (5x5, stride 1, no padding, with bias) at BN-LeNet's two convolutions,
 * recorded on a tape as in training. Average time per call of the whole batch.
 *
 * <ul>
 *   <li>{@code conv1}: {@code x [N, 1, S, S]}, {@code W [6, 1, 5, 5]}; the input is the image, which
 *       needs no gradient, so backward computes {@code dW} and {@code db} only.</li>
 *   <li>{@code conv2}: {@code x [N, 6, P, P]} with {@code P = (S - 4) / 2} (after the first pool),
 *       {@code W [16, 6, 5, 5]}; backward computes {@code dx} as well.</li>
 * </ul>
 * {@code config} {@code a} is S = 28, N = 256; {@code b} is S = 96, N = 32.
 * {@code backward} measures only the backward pass: the forward pass is recorded before each call,
 * outside the timing, and the upstream gradient is a fixed seeded tensor.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsPrepend = Bench.ADD_VECTOR_MODULE)
public class ConvBenchmark {

    /** Input, filters, bias and upstream gradient of one convolution. */
    @State(Scope.Thread)
    public static class Conv {
        @Param({"a", "b"})
        public String config;

        @Param({"conv1", "conv2"})
        public String layer;

        @Param({"1", "2"})
        public int threads;

        Tensor x;
        Tensor weight;
        Tensor bias;
        Tensor dy;

        @Setup(Level.Trial)
        public void setUp() {
            int s = Bench.size(config);
            int n = Bench.batch(config);
            int c;
            int f;
            int h;
            boolean inputGrad;
            switch (layer) {
                case "conv1":
                    c = 1;
                    f = 6;
                    h = s;
                    inputGrad = false;
                    break;
                case "conv2":
                    c = 6;
                    f = 16;
                    h = (s - 4) / 2;
                    inputGrad = true;
                    break;
                default:
                    throw new IllegalArgumentException("ConvBenchmark: layer must be conv1 or conv2, got " + layer);
            }
            Random rng = new Random(345);
            x = Tensor.wrap(Bench.uniform(rng, n * c * h * h), n, c, h, h).requiresGrad(inputGrad);
            weight = Tensor.wrap(Bench.uniform(rng, f * c * 25), f, c, 5, 5).requiresGrad(true);
            bias = Tensor.wrap(Bench.uniform(rng, f), f).requiresGrad(true);
            int o = h - 4;
            dy = Tensor.wrap(Bench.uniform(rng, n * f * o * o), n, f, o, o);
            Bench.threads("conv2d " + layer + " config " + config, threads);
        }
    }

    /** A convolution whose forward pass is recorded before each call of {@link #backward}. */
    @State(Scope.Thread)
    public static class Recorded extends Conv {
        Tape tape;
        Tensor y;

        /** Zeroes the gradients, as a training step does, and records the forward pass (not timed). */
        @Setup(Level.Invocation)
        public void record() {
            x.zeroGrad();
            weight.zeroGrad();
            bias.zeroGrad();
            tape = Tape.record();
            y = Functional.conv2d(x, weight, bias, 1, 0);
        }

        @TearDown(Level.Invocation)
        public void close() {
            tape.close();
            tape = null;
            y = null;
        }
    }

    /** Forward pass recorded on a tape, as in training: im2col + one GEMM + bias. */
    @SuppressWarnings("try") // a scope used only for its extent
    @Benchmark
    public Tensor forward(Conv s) {
        try (Tape tape = Tape.record()) {
            return Functional.conv2d(s.x, s.weight, s.bias, 1, 0);
        }
    }

    /**
     * Backward pass of a recorded forward with a fixed upstream gradient: {@code dW = dY cols^T},
     * {@code db = sum dY}, and for conv2 {@code dx = col2im(W^T dY)}.
     */
    @Benchmark
    public Tensor backward(Recorded s) {
        s.y.backward(s.dy);
        return s.weight.grad();
    }
}
