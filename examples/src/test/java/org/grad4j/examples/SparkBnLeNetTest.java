package org.grad4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.grad4j.core.Tensor;
import org.grad4j.data.Batch;
import org.grad4j.data.DataLoader;
import org.grad4j.data.FashionMnist;
import org.grad4j.data.ImageDataset;
import org.grad4j.layers.BatchNorms;
import org.grad4j.layers.Module;
import org.grad4j.train.EpochMetrics;
import org.grad4j.train.SGD;
import org.grad4j.train.Trainer;
import org.junit.jupiter.api.Test;

/**
 * BN-LeNet on Fashion-MNIST in {@code local[2]} with two partitions reaches the accuracy of
 * single-process training with the same global batch, in the same epochs.
 */
class SparkBnLeNetTest {
    private static final boolean REAL_DATA =
            Files.exists(FashionMnist.SYSTEM_DIRECTORY.resolve("train-images-idx3-ubyte.gz"));

    @Test
    void twoPartitionsReachTheSingleProcessAccuracy() throws IOException {
        assumeTrue(REAL_DATA, "needs /usr/share/datasets/fashion-mnist (apt-get install dataset-fashion-mnist)");
        ImageDataset train = FashionMnist.train().slice(0, 2000);
        ImageDataset test = FashionMnist.test().slice(0, 2000);
        int epochs = 2;
        double lr = 0.3;
        long seed = 3;

        // Single process: the global batch of 64, running statistics recalibrated as the Spark run's are.
        Module net = SparkBnLeNet.model(seed).create();
        List<EpochMetrics> single = new Trainer(net, new SGD(net.parameters(), lr)).withSeed(seed)
                .fit(new DataLoader(train, 64).withShuffle(seed).withDropLast(true), null, epochs);
        List<Tensor> batches = new ArrayList<>();
        for (Batch b : new DataLoader(train, 64).withDropLast(true)) {
            batches.add(b.images());
        }
        BatchNorms.recalibrate(net, batches);
        double singleAccuracy = Trainer.accuracy(net, new DataLoader(test, 250));

        SparkConf conf = new SparkConf().setMaster("local[2]").setAppName("grad4j-bnlenet-test")
                .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1");
        SparkBnLeNet.Result spark;
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            spark = SparkBnLeNet.train(sc, FashionMnist.SYSTEM_DIRECTORY, train.size(), test, 2, 32, epochs, lr, seed,
                    null);
        }
        assertEquals(epochs, spark.history().size());
        assertEquals(singleAccuracy, spark.testAccuracy(), 0.04, "test accuracy after " + epochs + " epochs");
        assertEquals(single.get(epochs - 1).trainLoss(), spark.history().get(epochs - 1).trainLoss(),
                0.1 * single.get(epochs - 1).trainLoss(), "training loss of the last epoch");
    }
}
