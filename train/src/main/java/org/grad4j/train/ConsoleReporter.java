package org.grad4j.train;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/**
 * Prints training progress: a progress bar that redraws in place while an epoch runs when the
 * output is a terminal, and one line per epoch either way, so that logs (CI, files) stay readable:
 *
 * <pre>
 * epoch 3  loss 0.348  train acc 0.873  test acc 0.803  29770 ex/s
 * epoch 3  loss 0.0213  train mse 0.02130  test mse 0.02410  51200 ex/s     (Metric.meanSquaredError())
 * </pre>
 */
public final class ConsoleReporter implements TrainingListener {
    private static final int BAR_WIDTH = 30;
    private final PrintStream out;
    private final boolean progressBar;
    private int lastDrawn = -1;
    private String metricLabel = "acc";

    /**
     * A reporter on {@code out}.
     *
     * @param progressBar draw a progress bar during each epoch (use {@link #isTerminal()})
     */
    public ConsoleReporter(PrintStream out, boolean progressBar) {
        this.out = out;
        this.progressBar = progressBar;
    }

    /** A reporter on standard output with a progress bar when it is a terminal. */
    public static ConsoleReporter toStandardOutput() {
        return new ConsoleReporter(System.out, isTerminal());
    }

    /** Whether standard output is an interactive terminal. */
    public static boolean isTerminal() {
        return System.console() != null;
    }

    @Override
    public void onTrainingStart(int firstEpoch, int lastEpoch, int batchesPerEpoch, String metric) {
        metricLabel = metric.equals("accuracy") ? "acc" : metric;
    }

    @Override
    public void onBatchEnd(int epoch, int batch, int batches, double loss, double metric) {
        if (!progressBar) {
            return;
        }
        int filled = (int) ((long) BAR_WIDTH * batch / batches);
        // Redraw only when the bar moves: a 235-batch epoch writes 30 times, not 235.
        if (filled == lastDrawn && batch != batches) {
            return;
        }
        lastDrawn = filled;
        // Accuracy keeps its three decimals; another metric (an MSE of 0.0012) gets significant digits.
        String value = String.format(Locale.ROOT, metricLabel.equals("acc") ? "%.3f" : "%.4g", metric);
        out.print(String.format(Locale.ROOT, "\repoch %d [%s%s] %d/%d  loss %.3f  %s %s", epoch,
                "=".repeat(filled), " ".repeat(BAR_WIDTH - filled), batch, batches, loss, metricLabel, value));
        out.flush();
    }

    @Override
    public void onEpochEnd(EpochMetrics metrics, List<EpochMetrics> history) {
        if (progressBar) {
            // Clear the bar's line before the permanent one.
            out.print("\r" + " ".repeat(BAR_WIDTH + 60) + "\r");
            lastDrawn = -1;
        }
        out.println(metrics.toLine());
        out.flush();
    }
}
