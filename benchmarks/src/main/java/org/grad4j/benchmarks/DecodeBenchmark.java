package org.grad4j.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.grad4j.data.FashionMnist;
import org.grad4j.data.ImageDataset;
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
 * Decoding the Fashion-MNIST training set ({@code FashionMnist.read(dir, Split.TRAIN, verify)}):
 * gunzip, IDX validation, 60,000 images to float32 in [0, 1], labels, and with {@code verify} the
 * SHA-256 of both files. Average time per read of the whole split. Reads the files from
 * {@code dir} (default {@code /usr/share/datasets/fashion-mnist}, Debian's
 * {@code dataset-fashion-mnist}; {@code -p dir=...} for another); when they are absent this
 * benchmark alone fails, with a message that says so ({@code benchmarks/smoke.sh} leaves it out).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsPrepend = Bench.ADD_VECTOR_MODULE)
public class DecodeBenchmark {

    /** Where the files are. */
    @State(Scope.Thread)
    public static class DataDir {
        @Param({"/usr/share/datasets/fashion-mnist"})
        public String dir;

        @Param({"true"})
        public boolean verify;

        Path directory;

        @Setup(Level.Trial)
        public void setUp() {
            directory = Path.of(dir);
            FashionMnist.Split split = FashionMnist.Split.TRAIN;
            for (String name : new String[] {split.imagesFile(), split.labelsFile()}) {
                if (!Files.isRegularFile(directory.resolve(name)) && !Files.isRegularFile(directory.resolve(name + ".gz"))) {
                    throw new IllegalStateException("DecodeBenchmark: Fashion-MNIST file " + name + "(.gz) not found in "
                            + directory + "; install it (apt-get install dataset-fashion-mnist) or pass -p dir=DIR,"
                            + " or leave this benchmark out with -e DecodeBenchmark");
                }
            }
        }
    }

    /** Reads and decodes the 60,000 training images and labels. */
    @Benchmark
    public ImageDataset readTrain(DataDir s) throws IOException {
        return FashionMnist.read(s.directory, FashionMnist.Split.TRAIN, s.verify);
    }
}
