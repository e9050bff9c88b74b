package org.grad4j.examples;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.grad4j.data.DataLoader;
import org.grad4j.data.FashionMnist;
import org.grad4j.data.ImageDataset;
import org.grad4j.layers.Init;
import org.grad4j.layers.Module;
import org.grad4j.spark.Example;
import org.grad4j.spark.ModelFactory;
import org.grad4j.spark.SparkTrainer;
import org.grad4j.train.EpochMetrics;
import org.grad4j.train.SGD;
import org.grad4j.train.Trainer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * BN-LeNet on Fashion-MNIST trained on Spark by {@link SparkTrainer}: the training images are
 * spread over {@code --partitions} partitions, each step takes {@code --batch-size / --partitions}
 * images from every partition, and the test accuracy is measured on the driver after training.
 * The master is {@code local[*]} unless {@code spark-submit} (or {@code --master}) names another;
 * the same jar runs on a cluster:
 *
 * <pre>
 * spark-submit --class org.grad4j.examples.SparkBnLeNet --master spark://host:7077 \
 *     examples/target/bnlenet.jar --partitions 8 --epochs 10
 * </pre>
 *
 * Spark is not in the jar (it is {@code provided}): the cluster supplies it.
 */
@Command(name = "spark-bnlenet", mixinStandardHelpOptions = true, version = "grad4j SparkBnLeNet 0.1.0",
        description = "Train BN-LeNet on Fashion-MNIST with synchronous data-parallel SGD on Spark.")
public final class SparkBnLeNet implements Callable<Integer> {
    @Option(names = "--master", description = "Spark master when spark-submit sets none (default: ${DEFAULT-VALUE})")
    String master = "local[*]";

    @Option(names = "--partitions", description = "data partitions, one model replica each (default: ${DEFAULT-VALUE})")
    int partitions = 2;

    @Option(names = "--epochs", description = "epochs to train (default: ${DEFAULT-VALUE})")
    int epochs = 10;

    @Option(names = "--batch-size", description = "global batch size, split evenly over the partitions "
            + "(default: ${DEFAULT-VALUE})")
    int batchSize = 256;

    @Option(names = "--lr", description = "SGD learning rate (default: ${DEFAULT-VALUE})")
    double lr = 1.0;

    @Option(names = "--local-steps", paramLabel = "K", description = "local SGD: average the replicas' parameters "
            + "every K steps instead of summing gradients every step")
    Integer localSteps;

    @Option(names = "--seed", description = "seed of initialisation and shuffling (default: ${DEFAULT-VALUE})")
    long seed = 0;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "directory with the four Fashion-MNIST files")
    Path dataDir;

    @Option(names = "--train-limit", paramLabel = "N", description = "use only the first N training images")
    Integer trainLimit;

    PrintStream stdout = System.out;

    /** What a run gives: the epochs' metrics and the test accuracy of the trained model. */
    public record Result(List<EpochMetrics> history, double testAccuracy) {
    }

    @Override
    public Integer call() throws Exception {
        if (partitions < 1 || batchSize < partitions || batchSize % partitions != 0) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--batch-size " + batchSize
                    + " must be a positive multiple of --partitions " + partitions);
        }
        FashionMnist source = dataDir == null ? new FashionMnist() : new FashionMnist().withDirectory(dataDir);
        Path directory = source.locate();
        ImageDataset test = FashionMnist.read(directory, FashionMnist.Split.TEST, false);
        int trainCount = trainLimit == null ? FashionMnist.Split.TRAIN.size()
                : Math.min(trainLimit, FashionMnist.Split.TRAIN.size());
        SparkConf conf = new SparkConf().setAppName("grad4j-bnlenet");
        if (!conf.contains("spark.master")) {
            conf.setMaster(master);
        }
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            sc.setLogLevel("WARN");
            long start = System.nanoTime();
            Result r = train(sc, directory, trainCount, test, partitions, batchSize / partitions, epochs, lr, seed,
                    localSteps);
            for (EpochMetrics m : r.history()) {
                stdout.printf("epoch %d: loss %.4f, train acc %.3f, %.1f examples/s%n", m.epoch(), m.trainLoss(),
                        m.trainAccuracy(), m.examplesPerSecond());
            }
            stdout.printf("test acc %.3f after %.1f s on %s with %d partitions%n", r.testAccuracy(),
                    (System.nanoTime() - start) / 1e9, sc.master(), partitions);
        }
        return 0;
    }

    /** BnLeNet's model for 28 x 28 inputs, initialised as {@link BnLeNet} does from {@code seed}. */
    static ModelFactory model(long seed) {
        return () -> {
            Init.manualSeed(seed);
            Module net = BnLeNet.model(FashionMnist.SIZE, BnLeNet.Norm.library);
            Init.xavierUniformWeights(net, new Random(seed));
            return net;
        };
    }

    /**
     * Trains BN-LeNet on the first {@code trainCount} training images of the Fashion-MNIST files in
     * {@code directory}, spread over {@code partitions} partitions with {@code batchPerPartition}
     * images per partition and step, then measures the accuracy on {@code test} on the driver; with
     * {@code localSteps} (null: synchronous SGD) local SGD averaging every {@code localSteps} steps.
     *
     * <p>Each partition reads its contiguous slice of the images on its executor (so on a cluster
     * {@code directory} must be readable there, a shared file system): an RDD made by
     * {@code parallelize} from the driver's images would carry its slice in every task of every
     * step.
     */
    public static Result train(JavaSparkContext sc, Path directory, int trainCount, ImageDataset test, int partitions,
                               int batchPerPartition, int epochs, double lr, long seed, Integer localSteps) {
        String dir = directory.toString();
        List<Integer> slices = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            slices.add(p);
        }
        JavaRDD<Example> data = sc.parallelize(slices, partitions).flatMap(p -> {
            ImageDataset all = FashionMnist.read(Path.of(dir), FashionMnist.Split.TRAIN, false);
            ImageDataset part = all.slice((int) ((long) trainCount * p / partitions),
                    (int) ((long) trainCount * (p + 1) / partitions));
            return examples(part).iterator();
        });
        SparkTrainer trainer = new SparkTrainer(model(seed), params -> new SGD(params, lr), 1, FashionMnist.SIZE,
                FashionMnist.SIZE).withSeed(seed);
        if (localSteps != null) {
            trainer.withLocalSteps(localSteps);
        }
        List<EpochMetrics> history = trainer.fit(data, batchPerPartition, epochs);
        double accuracy = Trainer.accuracy(trainer.model(), new DataLoader(test, 256));
        return new Result(history, accuracy);
    }

    /** The images of {@code data} as examples of 784 pixels. */
    static List<Example> examples(ImageDataset data) {
        float[] pixels = data.images().toArray();
        int length = pixels.length / data.size();
        List<Example> out = new ArrayList<>(data.size());
        for (int i = 0; i < data.size(); i++) {
            out.add(new Example(Arrays.copyOfRange(pixels, i * length, (i + 1) * length), data.label(i)));
        }
        return out;
    }

    /** Runs the command line; exits with its status. */
    public static void main(String[] args) {
        System.exit(new CommandLine(new SparkBnLeNet()).execute(args));
    }
}
