package org.grad4j.core.kernels;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.grad4j.core.Functional;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;

/**
 * Two SGD steps of a BN-LeNet written with {@link Functional} on seeded data (batch 8, 28x28),
 * for the reproducibility tests: it runs every kernel of a training step on the SIMD path (the
 * direct and the im2col convolution, the panel and the dot GEMM, batch norm over planes and over
 * rows, sigmoid, 2x2 max pooling, cross-entropy), forward and backward, on 2 threads. The result
 * is one SHA-256 digest per parameter, of its bits.
 *
 * <p>{@link #main} prints the digests, one a line, so that a child JVM (interpreted, or C1 only)
 * can be compared with a warmed-up one.
 */
final class TrainingStep {
    private static final int BATCH = 8;
    private static final float LR = 0.5f;

    private TrainingStep() {
    }

    /** Prints {@link #digests()}, one a line. */
    public static void main(String[] args) {
        for (String d : digests()) {
            System.out.println(d);
        }
    }

    /** {@code name sha256} of each parameter after two steps from the fixed seed. */
    static List<String> digests() {
        Kernels.setThreads(2);
        Random rng = new Random(7);
        String[] names = {"conv1.w", "conv1.b", "bn1.g", "bn1.b", "conv2.w", "conv2.b", "bn2.g", "bn2.b",
            "fc1.w", "fc1.b", "bn3.g", "bn3.b", "fc2.w", "fc2.b", "bn4.g", "bn4.b", "fc3.w", "fc3.b"};
        int[][] shapes = {{6, 1, 5, 5}, {6}, {6}, {6}, {16, 6, 5, 5}, {16}, {16}, {16},
            {120, 256}, {120}, {120}, {120}, {84, 120}, {84}, {84}, {84}, {10, 84}, {10}};
        Tensor[] p = new Tensor[shapes.length];
        for (int i = 0; i < p.length; i++) {
            Tensor t = Tensor.randn(rng, shapes[i]).mul(names[i].startsWith("bn") && names[i].endsWith(".g") ? 0.1f : 0.3f);
            p[i] = (names[i].endsWith(".g") ? t.add(1f) : t).detach().requiresGrad(true);
        }
        // Pixels spread over [-4, 4): sigmoid sees arguments from about -20 to 20.
        Tensor x = Tensor.rand(rng, BATCH, 1, 28, 28).mul(8f).sub(4f);
        int[] labels = new int[BATCH];
        for (int i = 0; i < BATCH; i++) {
            labels[i] = rng.nextInt(10);
        }
        for (int step = 0; step < 2; step++) {
            try (Tape tape = Tape.record()) {
                Tensor h = Functional.conv2d(x, p[0], p[1], 1, 0);
                h = Functional.batchNormTraining(h, p[2], p[3], 1e-5).output().sigmoid();
                h = Functional.maxPool2d(h, 2, 2, 0);
                h = Functional.conv2d(h, p[4], p[5], 1, 0);
                h = Functional.batchNormTraining(h, p[6], p[7], 1e-5).output().sigmoid();
                h = Functional.maxPool2d(h, 2, 2, 0).flatten(1);
                h = Functional.linear(h, p[8], p[9]);
                h = Functional.batchNormTraining(h, p[10], p[11], 1e-5).output().sigmoid();
                h = Functional.linear(h, p[12], p[13]);
                h = Functional.batchNormTraining(h, p[14], p[15], 1e-5).output().sigmoid();
                h = Functional.linear(h, p[16], p[17]);
                Functional.crossEntropy(h, labels).backward();
            }
            try (Tape.NoGrad off = Tape.noGrad()) {
                for (Tensor t : p) {
                    t.addInPlace(-LR, t.grad());
                    t.zeroGrad();
                }
            }
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < p.length; i++) {
            out.add(names[i] + " " + sha256(p[i].toArray()));
        }
        return out;
    }

    private static String sha256(float[] a) {
        ByteBuffer b = ByteBuffer.allocate(4 * a.length);
        for (float v : a) {
            b.putInt(Float.floatToRawIntBits(v));
        }
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.array()));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
