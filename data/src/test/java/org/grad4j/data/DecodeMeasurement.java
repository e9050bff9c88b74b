package org.grad4j.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.grad4j.data.FashionMnist.Split;

/**
 * Measures decoding and checking all 70,000 Fashion-MNIST images from the gzip files: not a test
 * (nothing is asserted about time), a program whose output docs/data.md quotes.
 *
 * <p>Each run reads the four {@code .gz} files, checks their IDX structure, verifies their
 * SHA-256, checks counts, labels and image size, and converts pixels to floats in [0, 1]
 * ({@link FashionMnist#read(Path, Split, boolean)} for both splits). The first run includes JIT
 * warm-up; the median of the others is the steady state.
 *
 * <p>Usage: {@code DecodeMeasurement [directory] [runs]}, by default
 * {@code /usr/share/datasets/fashion-mnist} and 10.
 */
public final class DecodeMeasurement {
    private DecodeMeasurement() {
    }

    /**
     * Runs the measurement and prints one line per run and a summary.
     *
     * @param args optional directory and number of runs
     * @throws IOException if the files cannot be read or are not Fashion-MNIST
     */
    public static void main(String[] args) throws IOException {
        Path dir = args.length > 0 ? Path.of(args[0]) : FashionMnist.SYSTEM_DIRECTORY;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        double[] full = new double[runs];
        double[] idxOnly = new double[runs];
        long checksum = 0;
        for (int r = 0; r < runs; r++) {
            long t0 = System.nanoTime();
            ImageDataset train = FashionMnist.read(dir, Split.TRAIN, true);
            ImageDataset test = FashionMnist.read(dir, Split.TEST, true);
            long t1 = System.nanoTime();
            checksum += train.size() + test.size() + train.label(59_999) + test.label(9_999);
            // The IDX layer alone: gunzip, structure checks, SHA-256, no float conversion.
            for (Split split : Split.values()) {
                IdxArray images = Idx.read(dir.resolve(split.imagesFile() + ".gz"), Idx.IMAGES);
                IdxArray labels = Idx.read(dir.resolve(split.labelsFile() + ".gz"), Idx.LABELS);
                checksum += images.sha256().equals(split.imagesSha256()) ? 1 : 0;
                checksum += labels.sha256().equals(split.labelsSha256()) ? 1 : 0;
            }
            long t2 = System.nanoTime();
            full[r] = (t1 - t0) / 1e6;
            idxOnly[r] = (t2 - t1) / 1e6;
            System.out.printf("run %2d: %7.1f ms to load and verify 70,000 images; IDX+SHA-256 only %7.1f ms%n",
                    r + 1, full[r], idxOnly[r]);
        }
        System.out.printf("first run (cold JVM): %.1f ms; median of runs 2-%d: %.1f ms (IDX+SHA-256 only %.1f ms)"
                + "; %d processors, Java %s; checksum %d%n", full[0], runs, median(full), median(idxOnly),
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), checksum);
    }

    private static double median(double[] values) {
        double[] warm = Arrays.copyOfRange(values, Math.min(1, values.length - 1), values.length);
        Arrays.sort(warm);
        return warm[warm.length / 2];
    }
}
