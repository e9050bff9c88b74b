package org.grad4j.benchmarks;

import java.util.concurrent.TimeUnit;
import org.grad4j.core.Tensor;
import org.grad4j.examples.ResNet18;
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
 * One eval step of d2l's ResNet-18: eval mode (batch norms use their running statistics),
 * {@code Tape.noGrad()}, forward only, as {@code Trainer.accuracy} runs it and
 * {@code benchmarks/src/main/python/resnet18_torch.py} measures PyTorch. The score is steps per
 * second (times {@code batchSize}: examples per second). Defaults and smoke parameters as
 * {@link ResNetTrainStepBenchmark}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsPrepend = {Bench.ADD_VECTOR_MODULE, "-Xmx3g"})
public class ResNetEvalStepBenchmark {

    /** ResNet-18 at {@code imageSize x imageSize}, {@code batchSize} images a step. */
    @State(Scope.Thread)
    public static class Config extends BnLeNetState {
        @Param({"96"})
        public int imageSize;

        @Param({"32"})
        public int batchSize;

        @Param({"2"})
        public int threads;

        @Setup(Level.Trial)
        public void setUp() {
            build("ResNet-18 eval step", ResNet18::model, 0.05, imageSize, batchSize, threads);
            net.eval();
        }
    }

    /** The forward pass of one batch; the score is steps per second. */
    @Benchmark
    public Tensor evalStep(Config s) {
        return s.evalStep();
    }
}
