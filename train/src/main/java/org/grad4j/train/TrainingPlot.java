package org.grad4j.train;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.grad4j.core.io.AtomicFiles;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The chapter's training curves (d2l's {@code Animator}): train loss, train accuracy and test
 * accuracy against the epoch, redrawn after every epoch as {@code <name>.png} and
 * {@code <name>.svg}. Rendering is headless (no display needed); each file is replaced atomically
 * (see {@link AtomicFiles}). The directory must exist; both paths are checked when training starts,
 * before the first step.
 */
public final class TrainingPlot implements TrainingListener {
    private final Path directory;
    private final String name;

    /** Plots go to {@code directory/name.png} and {@code directory/name.svg}. */
    public TrainingPlot(Path directory, String name) {
        this.directory = directory;
        this.name = name;
    }

    /** The PNG file. */
    public Path png() {
        return directory.resolve(name + ".png");
    }

    /** The SVG file. */
    public Path svg() {
        return directory.resolve(name + ".svg");
    }

    /**
     * Checks that both files can be written (see {@link AtomicFiles#prepare}), before the first step.
     *
     * @throws UncheckedIOException naming the file and what is wrong with it
     */
    @Override
    public void onTrainingStart(int firstEpoch, int lastEpoch, int batchesPerEpoch) {
        OutputFiles.prepare("plot", png());
        OutputFiles.prepare("plot", svg());
    }

    @Override
    public void onEpochEnd(EpochMetrics metrics, List<EpochMetrics> history) {
        try {
            write(history);
        } catch (IOException e) {
            throw OutputFiles.cannotWrite("plot", png(), e);
        }
    }

    /**
     * Draws {@code history} and writes both files.
     *
     * @throws IOException if a file cannot be written
     */
    public void write(List<EpochMetrics> history) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = chart(history);
        AtomicFiles.write(png(), BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
        ByteArrayOutputStream svg = new ByteArrayOutputStream();
        VectorGraphicsEncoder.saveVectorGraphic(chart, svg, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
        AtomicFiles.write(svg(), svg.toByteArray());
    }

    static XYChart chart(List<EpochMetrics> history) {
        XYChart chart = new XYChartBuilder().width(640).height(420).title("training").xAxisTitle("epoch").build();
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setMarkerSize(6);
        List<Double> epochs = new ArrayList<>();
        List<Double> loss = new ArrayList<>();
        List<Double> trainAcc = new ArrayList<>();
        List<Double> testAcc = new ArrayList<>();
        for (EpochMetrics m : history) {
            epochs.add((double) m.epoch());
            loss.add(m.trainLoss());
            trainAcc.add(m.trainMetric());
            testAcc.add(m.testMetric());
        }
        // The metric of the last epoch names the series (a history holds one metric).
        String label = history.isEmpty() ? "acc" : history.get(history.size() - 1).metricLabel();
        chart.addSeries("train loss", epochs, loss).setMarker(SeriesMarkers.CIRCLE);
        chart.addSeries("train " + label, epochs, trainAcc).setMarker(SeriesMarkers.DIAMOND);
        if (testAcc.stream().anyMatch(Double::isFinite)) {
            chart.addSeries("test " + label, epochs, testAcc).setMarker(SeriesMarkers.SQUARE);
        }
        return chart;
    }
}
