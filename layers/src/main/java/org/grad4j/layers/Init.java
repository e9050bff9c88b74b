package org.grad4j.layers;

import java.util.Random;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;

/**
 * Weight initialisation, PyTorch's {@code torch.nn.init}: each method fills a tensor in place (with
 * grad mode off, so it works on registered parameters) and returns it.
 *
 * <h2>Seeding</h2>
 * Every method takes the {@link Random} to draw from. Layer constructors without a {@code Random}
 * draw from one shared generator, {@link #defaultRandom()}, which starts from
 * {@link #DEFAULT_SEED} when the class loads and is reset by {@link #manualSeed(long)} (PyTorch's
 * {@code torch.manual_seed}). So a program that builds the same layers in the same order gets the
 * same weights on every run; a test that wants weights independent of what ran before calls
 * {@code manualSeed} first or passes its own {@code Random}. The values cannot match PyTorch's,
 * whose generator differs: load PyTorch's weights through a state dict for parity.
 *
 * <h2>Fans</h2>
 * For a weight of shape {@code [out, in, k1, k2, ...]} (Linear {@code [out, in]}, Conv2d
 * {@code [F, C, kh, kw]}), {@code fan_in = in * k1 * k2 ...} and
 * {@code fan_out = out * k1 * k2 ...}, as {@code torch.nn.init._calculate_fan_in_and_fan_out}.
 *
 * <h2>PyTorch's defaults, used by {@link Linear} and {@link Conv2d}</h2>
 * Weights: {@code kaimingUniform(w, sqrt(5))}, that is U(-b, b) with
 * {@code b = gain * sqrt(3 / fan_in)}, {@code gain = sqrt(2 / (1 + a^2)) = sqrt(1/3)}, so
 * {@code b = 1 / sqrt(fan_in)}. Biases: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with the weight's fan_in.
 * BatchNorm and LayerNorm: weight 1, bias 0.
 */
public final class Init {
    /** The seed of {@link #defaultRandom()} until {@link #manualSeed(long)} is called. */
    public static final long DEFAULT_SEED = 0L;

    private static volatile Random shared = new Random(DEFAULT_SEED);

    private Init() {
    }

    /** Restarts the shared generator that layer constructors without a {@code Random} use. */
    public static void manualSeed(long seed) {
        shared = new Random(seed);
    }

    /** The shared generator that layer constructors without a {@code Random} draw from. */
    public static Random defaultRandom() {
        return shared;
    }

    /**
     * {@code fan_in} of a weight {@code [out, in, k...]}: {@code in * prod(k)}.
     *
     * @throws IllegalArgumentException if the tensor has fewer than 2 dimensions
     */
    public static int fanIn(Tensor w) {
        int r = receptiveField(w, "fanIn");
        return w.dim(1) * r;
    }

    /**
     * {@code fan_out} of a weight {@code [out, in, k...]}: {@code out * prod(k)}.
     *
     * @throws IllegalArgumentException if the tensor has fewer than 2 dimensions
     */
    public static int fanOut(Tensor w) {
        int r = receptiveField(w, "fanOut");
        return w.dim(0) * r;
    }

    private static int receptiveField(Tensor w, String op) {
        if (w.rank() < 2) {
            throw new IllegalArgumentException(op + ": fan in and fan out can not be computed for a tensor with "
                    + "fewer than 2 dimensions, got shape " + w.shape());
        }
        int r = 1;
        for (int d = 2; d < w.rank(); d++) {
            r *= w.dim(d);
        }
        return r;
    }

    /**
     * Fills {@code t} with values drawn uniformly from {@code [low, high]} and returns it.
     *
     * @throws IllegalArgumentException if {@code low > high} or a bound is not finite
     */
    public static Tensor uniform(Tensor t, double low, double high, Random rng) {
        if (!(low <= high) || !Double.isFinite(low) || !Double.isFinite(high)) {
            throw new IllegalArgumentException("uniform: expected finite low <= high, got [" + low + ", " + high + "]");
        }
        Tensor u = Tensor.rand(rng, t.shape().dims()).mul((float) (high - low)).add((float) low);
        try (Tape.NoGrad off = Tape.noGrad()) {
            t.copyFrom(u);
        }
        return t;
    }

    /** Fills {@code t} with {@code value} and returns it. */
    public static Tensor constant(Tensor t, double value) {
        try (Tape.NoGrad off = Tape.noGrad()) {
            t.fill((float) value);
        }
        return t;
    }

    /** Fills {@code t} with zeros and returns it. */
    public static Tensor zeros(Tensor t) {
        return constant(t, 0);
    }

    /** Fills {@code t} with ones and returns it. */
    public static Tensor ones(Tensor t) {
        return constant(t, 1);
    }

    /**
     * PyTorch's {@code kaiming_uniform_(w, a, mode='fan_in', nonlinearity='leaky_relu')}: U(-b, b)
     * with {@code b = sqrt(2 / (1 + a^2)) * sqrt(3 / fan_in)}. With {@code a = sqrt(5)} (PyTorch's
     * default for Linear and Conv2d) {@code b = 1 / sqrt(fan_in)}.
     *
     * @throws IllegalArgumentException if {@code w} has fewer than 2 dimensions or fan_in is 0
     */
    public static Tensor kaimingUniform(Tensor w, double a, Random rng) {
        int fanIn = fanIn(w);
        if (fanIn == 0) {
            throw new IllegalArgumentException("kaimingUniform: fan_in is 0 for shape " + w.shape());
        }
        double gain = Math.sqrt(2.0 / (1 + a * a));
        double bound = gain * Math.sqrt(3.0 / fanIn);
        return uniform(w, -bound, bound, rng);
    }

    /** {@code xavierUniform(w, 1, rng)}: the chapter's re-initialisation of conv and linear weights. */
    public static Tensor xavierUniform(Tensor w, Random rng) {
        return xavierUniform(w, 1.0, rng);
    }

    /**
     * PyTorch's {@code xavier_uniform_(w, gain)} (Glorot and Bengio 2010): U(-b, b) with
     * {@code b = gain * sqrt(6 / (fan_in + fan_out))}; for a conv weight {@code [F, C, kh, kw]},
     * {@code fan_in = C*kh*kw} and {@code fan_out = F*kh*kw}.
     *
     * @throws IllegalArgumentException if {@code w} has fewer than 2 dimensions or no elements
     */
    public static Tensor xavierUniform(Tensor w, double gain, Random rng) {
        int fans = fanIn(w) + fanOut(w);
        if (fans == 0) {
            throw new IllegalArgumentException("xavierUniform: fan_in + fan_out is 0 for shape " + w.shape());
        }
        double bound = gain * Math.sqrt(6.0 / fans);
        return uniform(w, -bound, bound, rng);
    }

    /**
     * Re-initialises the weight of every {@link Linear} and {@link Conv2d} in {@code net} with
     * {@link #xavierUniform(Tensor, Random)}, in {@link Module#modules()} order; biases and other
     * layers are left as they are. This is the chapter's {@code init_cnn}, applied before training.
     *
     * @return {@code net}
     */
    public static <M extends Module> M xavierUniformWeights(M net, Random rng) {
        for (Module m : net.modules()) {
            if (m instanceof Linear) {
                xavierUniform(((Linear) m).weight(), rng);
            } else if (m instanceof Conv2d) {
                xavierUniform(((Conv2d) m).weight(), rng);
            }
        }
        return net;
    }

    /** PyTorch's default for a Linear or Conv2d: kaiming-uniform weight, bias U(+-1/sqrt(fan_in)). */
    static void defaultLinearInit(Tensor weight, Tensor bias, Random rng) {
        kaimingUniform(weight, Math.sqrt(5), rng);
        if (bias != null) {
            double bound = 1 / Math.sqrt(fanIn(weight));
            uniform(bias, -bound, bound, rng);
        }
    }
}
