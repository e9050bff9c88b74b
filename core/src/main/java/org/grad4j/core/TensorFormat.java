package org.grad4j.core;

import java.util.Locale;

/**
 * Prints tensors the way PyTorch 1.13 does by default: 4 digits after the point, integers as
 * {@code 1.}, scientific notation when the magnitudes span more than 1000x or leave the range
 * [1e-4, 1e8], elements padded to one width, lines wrapped at 80 columns, and more than 1000
 * elements summarised with the first and last 3 along every dimension.
 */
final class TensorFormat {
    private static final int PRECISION = 4;
    private static final int THRESHOLD = 1000;
    private static final int EDGE = 3;
    private static final int LINE_WIDTH = 80;
    private static final String PREFIX = "tensor(";

    private TensorFormat() {
    }

    private static final class Formatter {
        boolean intMode = true;
        boolean sciMode;
        int width = 1;

        Formatter(float[] values) {
            double min = Double.POSITIVE_INFINITY;
            double max = 0;
            boolean any = false;
            for (float v : values) {
                if (Float.isFinite(v) && v != 0) {
                    any = true;
                    double a = Math.abs((double) v);
                    min = Math.min(min, a);
                    max = Math.max(max, a);
                    if (v != Math.ceil(v)) {
                        intMode = false;
                    }
                }
            }
            if (!any) {
                return;
            }
            sciMode = max / min > 1000.0 || max > 1e8 || (!intMode && min < 1e-4);
            for (float v : values) {
                if (Float.isFinite(v) && v != 0) {
                    String s = sciMode ? sci(v) : intMode ? String.format(Locale.ROOT, "%.0f", (double) v) + "."
                            : fixed(v);
                    width = Math.max(width, s.length());
                }
            }
        }

        String format(float v) {
            String s;
            if (Float.isNaN(v)) {
                s = "nan";
            } else if (Float.isInfinite(v)) {
                s = v > 0 ? "inf" : "-inf";
            } else if (sciMode) {
                s = sci(v);
            } else if (intMode) {
                s = String.format(Locale.ROOT, "%.0f", (double) v) + ".";
            } else {
                s = fixed(v);
            }
            return s.length() >= width ? s : " ".repeat(width - s.length()) + s;
        }

        private static String sci(float v) {
            return String.format(Locale.ROOT, "%." + PRECISION + "e", (double) v);
        }

        private static String fixed(float v) {
            return String.format(Locale.ROOT, "%." + PRECISION + "f", (double) v);
        }
    }

    static String format(float[] data, Shape shape, String suffix) {
        if (data.length == 0) {
            String size = shape.rank() == 1 ? "" : ", size=(" + sizeTuple(shape) + ")";
            return PREFIX + "[]" + size + suffix + ")";
        }
        Formatter f = new Formatter(data);
        boolean summarize = data.length > THRESHOLD;
        StringBuilder sb = new StringBuilder(PREFIX);
        if (shape.rank() == 0) {
            sb.append(f.format(data[0]).strip());
        } else {
            block(sb, data, shape.dimsView(), shape.strides(), 0, 0, PREFIX.length(), summarize, f);
        }
        return sb.append(suffix).append(')').toString();
    }

    private static String sizeTuple(Shape shape) {
        int[] d = shape.dimsView();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < d.length; i++) {
            sb.append(i > 0 ? ", " : "").append(d[i]);
        }
        return d.length == 1 ? sb.append(',').toString() : sb.toString();
    }

    private static void block(StringBuilder sb, float[] data, int[] dims, int[] strides, int dim, int offset,
                              int indent, boolean summarize, Formatter f) {
        int n = dims[dim];
        boolean cut = summarize && n > 2 * EDGE;
        sb.append('[');
        if (dim == dims.length - 1) {
            int perLine = Math.max(1, (LINE_WIDTH - indent) / (f.width + 2));
            int shown = 0;
            for (int i = 0; i < n; i++) {
                if (cut && i == EDGE) {
                    shown = separate(sb, shown, perLine, indent);
                    sb.append(" ...");
                    i = n - EDGE;
                }
                shown = separate(sb, shown, perLine, indent);
                sb.append(f.format(data[offset + i * strides[dim]]));
            }
        } else {
            String between = "," + "\n".repeat(dims.length - dim - 1) + " ".repeat(indent + 1);
            for (int i = 0; i < n; i++) {
                if (i > 0) {
                    sb.append(between);
                }
                if (cut && i == EDGE) {
                    sb.append("...").append(between);
                    i = n - EDGE;
                }
                block(sb, data, dims, strides, dim + 1, offset + i * strides[dim], indent + 1, summarize, f);
            }
        }
        sb.append(']');
    }

    /** Writes the separator before an element of a row and returns how many are on the line. */
    private static int separate(StringBuilder sb, int shown, int perLine, int indent) {
        if (shown == 0) {
            return 1;
        }
        if (shown % perLine == 0) {
            sb.append(",\n").append(" ".repeat(indent + 1));
        } else {
            sb.append(", ");
        }
        return shown + 1;
    }
}
