package org.grad4j.benchmarks;

import java.util.concurrent.TimeUnit;
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
 * One training step of d2l's ResNet-18 ({@code ResNet18.model}, xavier-uniform weights, seed 0):
 * zero grads, forward, cross-entropy, backward, SGD step with the chapter's lr 0.05, scored in
 * training examples per second, as {@code benchmarks/src/main/python/resnet18_torch.py} measures
 * PyTorch. Defaults: the chapter's 96x96 inputs, batch 32 (the chapter's 256 takes about 5 GB of
 * heap and minutes per step on two cores), 2 threads; the smoke run passes a tiny
 * {@code imageSize} and {@code batchSize}. A step takes seconds: run it with few, long iterations
 * ({@code -wi 1 -i 3}). Each iteration starts again from the same initial weights.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 10)
@Measurement(iterations = 3, time = 10)
@Fork(value = 1, jvmArgsPrepend = {Bench.ADD_VECTOR_MODULE, "-Xmx3g"})
public class ResNetTrainStepBenchmark {

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
            build("ResNet-18 train step", ResNet18::model, 0.05, imageSize, batchSize, threads);
            net.train();
        }

        @Setup(Level.Iteration)
        public void restoreWeights() {
            restore();
        }
    }

    /**
     * One step; returns the loss. The score is steps per second: multiply by {@code batchSize} for
     * examples per second (JMH's {@code @OperationsPerInvocation} cannot follow a parameter).
     */
    @Benchmark
    public float trainStep(Config s) {
        return s.trainStep();
    }
}
