package org.grad4j.benchmarks;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One training step of the chapter's BN-LeNet (zero grads, forward, cross-entropy, backward, SGD
 * step with lr 1.0), scored in training examples per second: d2l's {@code train_ch6} figure and
 * what {@code benchmarks/src/main/python/bnlenet_torch.py} prints for PyTorch (training compute only, no
 * data loading). {@code configA}: 28x28, batch 256; {@code configB}: 96x96, batch 32 (the chapter's).
 * Each measurement iteration starts again from the same initial weights.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsPrepend = Bench.ADD_VECTOR_MODULE)
public class TrainStepBenchmark {

    /** 28x28 inputs, batch 256. */
    @State(Scope.Thread)
    public static class ConfigA extends BnLeNetState {
        @Param({"1", "2"})
        public int threads;

        @Setup(Level.Trial)
        public void setUp() {
            build("train step", 28, 256, threads);
            net.train();
        }

        @Setup(Level.Iteration)
        public void restoreWeights() {
            restore();
        }
    }

    /** 96x96 inputs, batch 32. */
    @State(Scope.Thread)
    public static class ConfigB extends BnLeNetState {
        @Param({"1", "2"})
        public int threads;

        @Setup(Level.Trial)
        public void setUp() {
            build("train step", 96, 32, threads);
            net.train();
        }

        @Setup(Level.Iteration)
        public void restoreWeights() {
            restore();
        }
    }

    /** One step on a batch of 256 28x28 images; the score is examples/s. */
    @Benchmark
    @OperationsPerInvocation(256)
    public float configA(ConfigA s) {
        return s.trainStep();
    }

    /** One step on a batch of 32 96x96 images; the score is examples/s. */
    @Benchmark
    @OperationsPerInvocation(32)
    public float configB(ConfigB s) {
        return s.trainStep();
    }
}
