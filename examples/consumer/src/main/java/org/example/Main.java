package org.example;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.grad4j.core.Backend;
import org.grad4j.data.DataLoader;
import org.grad4j.data.FashionMnist;
import org.grad4j.data.ImageDataset;
import org.grad4j.layers.BatchNorm2d;
import org.grad4j.layers.Conv2d;
import org.grad4j.layers.Flatten;
import org.grad4j.layers.Init;
import org.grad4j.layers.Linear;
import org.grad4j.layers.MaxPool2d;
import org.grad4j.layers.Sequential;
import org.grad4j.layers.Sigmoid;
import org.grad4j.train.EpochMetrics;
import org.grad4j.train.MetricsFile;
import org.grad4j.train.SGD;
import org.grad4j.train.Trainer;
import org.grad4j.train.TrainingPlot;

/**
 * Trains a small convolutional network on part of Fashion-MNIST for two epochs, writing a metrics
 * file and a plot into the directory given (default: a new temporary one), and prints what it did.
 */
public final class Main {
    public static void main(String[] args) throws Exception {
        Path out = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("grad4j-consumer");
        FashionMnist data = new FashionMnist();
        ImageDataset train = data.load(FashionMnist.Split.TRAIN).slice(0, 1024);
        ImageDataset test = data.load(FashionMnist.Split.TEST).slice(0, 256);

        Init.manualSeed(1);
        Sequential net = new Sequential(new Conv2d(1, 6, 5), new BatchNorm2d(6), new Sigmoid(),
                new MaxPool2d(2, 2), new Flatten(), new Linear(6 * 12 * 12, 10));
        TrainingPlot plot = new TrainingPlot(out, "curves");
        Trainer trainer = new Trainer(net, new SGD(net.parameters(), 0.1)).withSeed(1)
                .addListener(new MetricsFile(out.resolve("metrics.jsonl")))
                .addListener(plot);
        List<EpochMetrics> history = trainer.fit(new DataLoader(train, 64).withShuffle(1), new DataLoader(test, 256), 2);

        if (!MetricsFile.read(out.resolve("metrics.jsonl")).equals(history)) {
            throw new IllegalStateException("the metrics file does not hold what training measured");
        }
        EpochMetrics last = history.get(history.size() - 1);
        System.out.println("grad4j on the " + (Main.class.getModule().isNamed() ? "module" : "class")
                + " path, kernels: " + Backend.description());
        System.out.println(String.format(Locale.ROOT, "epoch %d: loss %.3f, test acc %.3f; plots of %d and %d bytes in %s",
                last.epoch(), last.trainLoss(), last.testAccuracy(), Files.size(plot.png()), Files.size(plot.svg()), out));
    }
}
