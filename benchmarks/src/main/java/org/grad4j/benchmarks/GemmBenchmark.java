package org.grad4j.benchmarks;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.grad4j.core.kernels.Gemm;
import org.openjdk.jmh.annotations.AuxCounters;
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
 * {@code Gemm.gemm}, the one matrix multiply of grad4j, at the shapes BN-LeNet's layers run.
 * The primary score is products per second; the secondary score {@code gemm:gflop} is the rate of
 * {@code 2 m n k} floating-point operations, in GFLOP/s.
 *
 * <p>{@code shape} is {@code MxKxN}: {@code op(A) [M, K] x op(B) [K, N] = C [M, N]}, with a suffix
 * for transposed operands as stored ({@code :NT} = B stored {@code [N, K]}, {@code :TN} = A stored
 * {@code [K, M]}):
 * <ul>
 *   <li>{@code 6x25x147456}: conv1 forward at 28x28, batch 256 ({@code W [6, 25] x cols [25, 256*24*24]})</li>
 *   <li>{@code 16x150x16384}: conv2 forward at 28x28, batch 256 ({@code [16, 150] x [150, 256*8*8]})</li>
 *   <li>{@code 32x7056x120}: fc1 at 96x96, batch 32 ({@code x [32, 16*21*21] x W^T})</li>
 *   <li>{@code 256x256x120}: fc1 at 28x28, batch 256 ({@code x [256, 16*4*4] x W^T})</li>
 *   <li>{@code 16x25600x150:NT}: a convolution weight gradient {@code dW = dY cols^T}
 *       ({@code gemm(false, true, m=16, n=150, k=25600)}; k = 25,600 is no BN-LeNet layer's, kept
 *       as the reference shape)</li>
 *   <li>{@code 16x16384x150:NT}: conv2's weight gradient at 28x28, batch 256</li>
 *   <li>{@code 150x16x16384:TN}: conv2's input gradient at 28x28, batch 256 ({@code W^T dY}, before col2im)</li>
 * </ul>
 * The product overwrites C ({@code accumulate = false}), as the forward passes do.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsPrepend = Bench.ADD_VECTOR_MODULE)
public class GemmBenchmark {

    /** The operands of one product, seeded. */
    @State(Scope.Thread)
    public static class Operands {
        @Param({"6x25x147456", "16x150x16384", "32x7056x120", "256x256x120", "16x25600x150:NT", "16x16384x150:NT",
                "150x16x16384:TN"})
        public String shape;

        @Param({"1", "2"})
        public int threads;

        boolean transA;
        boolean transB;
        int m;
        int n;
        int k;
        float[] a;
        float[] b;
        float[] c;
        double gflopPerProduct;

        @Setup(Level.Trial)
        public void setUp() {
            String dims = shape;
            int colon = shape.indexOf(':');
            if (colon >= 0) {
                String t = shape.substring(colon + 1);
                if (!t.equals("NN") && !t.equals("NT") && !t.equals("TN") && !t.equals("TT")) {
                    throw new IllegalArgumentException("GemmBenchmark: shape suffix must be NN, NT, TN or TT, got " + shape);
                }
                transA = t.charAt(0) == 'T';
                transB = t.charAt(1) == 'T';
                dims = shape.substring(0, colon);
            }
            String[] p = dims.split("x");
            if (p.length != 3) {
                throw new IllegalArgumentException("GemmBenchmark: shape must be MxKxN[:NT|TN|TT], got " + shape);
            }
            m = Integer.parseInt(p[0]);
            k = Integer.parseInt(p[1]);
            n = Integer.parseInt(p[2]);
            Random rng = new Random(345);
            a = Bench.uniform(rng, m * k);
            b = Bench.uniform(rng, k * n);
            c = new float[m * n];
            gflopPerProduct = 2.0 * m * n * k / 1e9;
            Bench.threads("gemm " + shape, threads);
        }
    }

    /** The secondary score: GFLOP done, reported per second. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Flops {
        /** GFLOP of the products finished in this iteration; JMH divides it by the iteration time. */
        public double gflop;

        @Setup(Level.Iteration)
        public void reset() {
            gflop = 0;
        }
    }

    /** One product {@code C = op(A) op(B)}. */
    @Benchmark
    public float[] gemm(Operands s, Flops f) {
        Gemm.gemm(s.transA, s.transB, s.m, s.n, s.k, s.a, s.b, s.c, false);
        f.gflop += s.gflopPerProduct;
        return s.c;
    }
}
