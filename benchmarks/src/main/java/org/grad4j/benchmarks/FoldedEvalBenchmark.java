package org.grad4j.benchmarks;

import java.util.concurrent.TimeUnit;
import org.grad4j.core.Tensor;
import org.grad4j.layers.BatchNorms;
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
 * The eval step of {@link EvalStepBenchmark} with and without the batch norms folded into the
 * convolutions and linear layers before them ({@code BatchNorms.fold}): {@code folded=false} is
 * the model as trained, in eval mode; {@code folded=true} its folded copy, four layers fewer.
 * Scored in examples per second; {@code configA}: 28x28, batch 256; {@code configB}: 96x96, batch 32.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsPrepend = Bench.ADD_VECTOR_MODULE)
public class FoldedEvalBenchmark {

    /** 28x28 inputs, batch 256. */
    @State(Scope.Thread)
    public static class ConfigA extends BnLeNetState {
        @Param({"1", "2"})
        public int threads;

        @Param({"false", "true"})
        public boolean folded;

        @Setup(Level.Trial)
        public void setUp() {
            build("folded eval step " + folded, 28, 256, threads);
            net = folded ? BatchNorms.fold(net) : net.eval();
        }
    }

    /** 96x96 inputs, batch 32. */
    @State(Scope.Thread)
    public static class ConfigB extends BnLeNetState {
        @Param({"1", "2"})
        public int threads;

        @Param({"false", "true"})
        public boolean folded;

        @Setup(Level.Trial)
        public void setUp() {
            build("folded eval step " + folded, 96, 32, threads);
            net = folded ? BatchNorms.fold(net) : net.eval();
        }
    }

    /** Forward pass of a batch of 256 28x28 images; the score is examples/s. */
    @Benchmark
    @OperationsPerInvocation(256)
    public Tensor configA(ConfigA s) {
        return s.evalStep();
    }

    /** Forward pass of a batch of 32 96x96 images; the score is examples/s. */
    @Benchmark
    @OperationsPerInvocation(32)
    public Tensor configB(ConfigB s) {
        return s.evalStep();
    }
}
