package org.grad4j.core.kernels;

/**
 * {@code e^x} in float from IEEE-exact operations only (add, multiply, fused multiply-add,
 * compare, bit moves), so that its bits are the same in the interpreter, in C1 and in C2 code, on
 * every JDK: the scalar twin of {@code VectorElementwise}'s lane-wise exp, which performs the same
 * operations in the same order on each lane. (The Vector API's {@code lanewise(EXP)} calls a
 * different library once C2 compiles it, and {@link Math#exp} may differ between JDKs within its
 * 1-ulp specification.) At most 1 ulp from the exact value; see {@code FloatExpTest}.
 *
 * <p>The method, for {@code x} clamped to {@code [MIN_ARG, MAX_ARG]}:
 * <ol>
 *   <li>{@code n = round(x log2 e)}, by adding and subtracting {@code 1.5 * 2^23} (for
 *       {@code |t| < 2^22} the sum's last bit is the units digit, rounded to nearest even);</li>
 *   <li>{@code r = x - n ln 2} in {@code [-0.35, 0.35]}, with {@code ln 2 = LN2_HI + LN2_LO}
 *       (Cody and Waite): {@code LN2_HI} has 9 significant bits, so {@code n * LN2_HI} and
 *       {@code x - n * LN2_HI} are exact and only the small second step rounds;</li>
 *   <li>{@code e^r = 1 + (r + r^2 q(r))} with {@code q} of degree 4 (coefficients fitted for the
 *       least maximum relative error on that interval, about {@code 5e-9});</li>
 *   <li>{@code e^x = (e^r 2^n1) 2^n2} with {@code n1 = n >> 1}, {@code n2 = n - n1}: both powers of
 *       two are normal floats built from their exponent bits, the first product is exact and the
 *       second rounds once, so results that overflow become infinity and subnormal results are
 *       rounded once.</li>
 * </ol>
 * Below {@code MIN_ARG} the result is 0 (as {@code e^-104 < 2^-150}, half the least subnormal),
 * above {@code MAX_ARG} infinity; NaN gives {@link Float#NaN}.
 */
final class FloatExp {
    /** {@code log2(e)}, rounded to float. */
    static final float LOG2E = 1.44269504f;
    /** {@code 1.5 * 2^23}: adding then subtracting it rounds a float below {@code 2^22} to an integer. */
    static final float ROUND = 12582912f;
    /** The first part of {@code ln 2}: 355/512, 9 significant bits. */
    static final float LN2_HI = 0.693359375f;
    /** {@code ln 2 - LN2_HI}, rounded to float. */
    static final float LN2_LO = -2.12194440e-4f;
    /** Arguments are clamped to {@code [MIN_ARG, MAX_ARG]}: {@code e^x} is 0 below, infinite above. */
    static final float MIN_ARG = -104f;
    /** See {@link #MIN_ARG}; {@code ln(Float.MAX_VALUE)} is 88.72. */
    static final float MAX_ARG = 89f;
    /** The coefficients of {@code q(r) = Q2 + Q3 r + Q4 r^2 + Q5 r^3 + Q6 r^4}. */
    static final float Q2 = 0.49999997f;
    static final float Q3 = 0.16666521f;
    static final float Q4 = 0.041667227f;
    static final float Q5 = 0.008368693f;
    static final float Q6 = 0.0013879691f;
    /** The exponent bias of float. */
    static final int BIAS = 127;
    /** The position of float's exponent bits. */
    static final int MANTISSA_BITS = 23;

    private FloatExp() {
    }

    /** {@code e^x} as described in the class comment; the same bits as each lane of the vector version. */
    static float exp(float x) {
        float c = x > MAX_ARG ? MAX_ARG : x;
        c = c < MIN_ARG ? MIN_ARG : c;
        float k = c * LOG2E + ROUND;
        float n = k - ROUND;
        float r = Math.fma(n, -LN2_HI, c);
        r = Math.fma(n, -LN2_LO, r);
        float q = Math.fma(Q6, r, Q5);
        q = Math.fma(q, r, Q4);
        q = Math.fma(q, r, Q3);
        q = Math.fma(q, r, Q2);
        float p = Math.fma(r * r, q, r) + 1f;
        int ni = Float.floatToRawIntBits(k) - Float.floatToRawIntBits(ROUND);
        int n1 = ni >> 1;
        int n2 = ni - n1;
        float y = p * Float.intBitsToFloat((n1 + BIAS) << MANTISSA_BITS) * Float.intBitsToFloat((n2 + BIAS) << MANTISSA_BITS);
        return x != x ? Float.NaN : y;
    }

    /**
     * The logistic function {@code 1 / (1 + e^-x)} with this exp: {@code e = exp(-|x|)} in (0, 1],
     * then {@code 1 / (1 + e)} where {@code x >= 0}, else {@code e / (1 + e)}: no overflow for any
     * x, NaN for NaN. The scalar twin of {@code VectorElementwise}'s sigmoid.
     */
    static float sigmoid(float x) {
        float e = exp(-Math.abs(x));
        float d = e + 1f;
        // One division for both cases: the vector version selects the numerator, then divides.
        return (x >= 0f ? 1f : e) / d;
    }
}
