package org.grad4j.layers;

import java.math.BigDecimal;

/** Python's spelling of values, for {@link Module#toString()} to print what PyTorch prints. */
final class Repr {
    private Repr() {
    }

    /** {@code True} / {@code False}. */
    static String bool(boolean b) {
        return b ? "True" : "False";
    }

    /** A Python tuple of ints: {@code (5, 5)}, {@code (6,)}. */
    static String tuple(int... values) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < values.length; i++) {
            sb.append(i > 0 ? ", " : "").append(values[i]);
        }
        return sb.append(values.length == 1 ? ",)" : ")").toString();
    }

    /** Python's {@code repr(float)}: {@code None} for null, else as {@link #pyFloat(double)}. */
    static String pyFloat(Double v) {
        return v == null ? "None" : pyFloat(v.doubleValue());
    }

    /**
     * Python's {@code repr(float)}: the shortest digits that read back to the same double, in
     * fixed notation ({@code 0.1}, {@code 1.0}, {@code 0.0001}) unless the decimal exponent is below
     * -4 or above 15 ({@code 1e-05}, {@code 1e+16}).
     */
    static String pyFloat(double v) {
        if (Double.isNaN(v)) {
            return "nan";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "inf" : "-inf";
        }
        if (v == 0) {
            return 1 / v < 0 ? "-0.0" : "0.0";
        }
        String sign = v < 0 ? "-" : "";
        BigDecimal bd = new BigDecimal(Double.toString(Math.abs(v))).stripTrailingZeros();
        String digits = bd.unscaledValue().toString();
        // v = 0.d1d2d3... * 10^point, Python's "decpt".
        int point = digits.length() - bd.scale();
        if (point > -4 && point <= 16) {
            if (point <= 0) {
                return sign + "0." + "0".repeat(-point) + digits;
            }
            if (point >= digits.length()) {
                return sign + digits + "0".repeat(point - digits.length()) + ".0";
            }
            return sign + digits.substring(0, point) + "." + digits.substring(point);
        }
        int exp = point - 1;
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return sign + mantissa + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
    }
}
