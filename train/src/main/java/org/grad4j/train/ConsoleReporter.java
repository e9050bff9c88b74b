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
 * </pre>
 */
public final class ConsoleReporter implements TrainingListener {
    private static final int BAR_WIDTH = 30;
    private final PrintStream out;
    private final boolean progressBar;
    private int lastDrawn = -1;

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
    public void onBatchEnd(int epoch, int batch, int batches, double loss, double accuracy) {
        if (!progressBar) {
            return;
        }
        int filled = (int) ((long) BAR_WIDTH * batch / batches);
        // Redraw only when the bar moves: a 235-batch epoch writes 30 times, not 235.
        if (filled == lastDrawn && batch != batches) {
            return;
        }
        lastDrawn = filled;
        out.print(String.format(Locale.ROOT, "\repoch %d [%s%s] %d/%d  loss %.3f  acc %.3f", epoch,
                "=".repeat(filled), " ".repeat(BAR_WIDTH - filled), batch, batches, loss, accuracy));
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
