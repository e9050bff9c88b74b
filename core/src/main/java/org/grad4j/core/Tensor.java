package org.grad4j.core;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * A float32 n-dimensional array, contiguous and row-major, with optional gradient tracking.
 *
 * <p>A tensor is an immutable {@link Shape} over a {@code float[]} that starts at offset 0. The
 * values can change only through the documented in-place methods ({@link #set}, {@link #fill},
 * {@link #copyFrom}, {@link #addInPlace}, {@link #mulInPlace}); each of them bumps the
 * {@linkplain #version() version counter} that autograd checks, so a tensor changed after an op
 * recorded it fails {@code backward} instead of giving a wrong gradient. {@link #reshape} and
 * {@link #flatten} return views that share the values and the version counter.
 *
 * <p>Element-wise ops broadcast like NumPy: shapes are aligned at their last dimension and a size
 * of 1 stretches. Reductions take any set of dimensions ({@code -1} is the last) and a
 * {@code keepdim} flag. All ops are recorded for autograd when a {@link Tape} is recording, grad
 * mode is on and an input {@linkplain #requiresGrad() requires a gradient}.
 *
 * <pre>{@code
 * Tensor w = Tensor.randn(new Random(345), 3, 2).requiresGrad(true);
 * Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
 * try (Tape tape = Tape.record()) {
 *     Tensor loss = x.matmul(w).sigmoid().mean();
 *     loss.backward();
 * }
 * System.out.println(w.grad());   // d loss / d w, shape [3, 2]
 * }</pre>
 */
public final class Tensor {
    /** The values, shared with views; never re-assigned. */
    final float[] data;
    final Shape shape;
    /**
     * Shared by a tensor and its views: {@code [0]} is PyTorch's version counter; {@code [1]} the id
     * of the thread that last changed the values in place ({@link #writerId()}, 0 before any such
     * write), so that backward can tell another thread's update from this thread's.
     */
    final int[] version;

    private boolean requiresGrad;
    private Tensor grad;
    /** The tape entry that produced this tensor, or null for a leaf or an untracked result. */
    Tape.Entry producer;
    /** The op that produced this tensor on a tape that has since been freed, for error messages. */
    private String freedOp;

    Tensor(float[] data, Shape shape, int[] version) {
        this.data = data;
        this.shape = shape;
        this.version = version;
    }

    /** A fresh tensor over an array the caller gives up. */
    static Tensor fresh(float[] data, Shape shape) {
        return new Tensor(data, shape, new int[2]);
    }

    /** The current thread as {@code version[1]} records it; never 0. */
    static int writerId() {
        long id = Thread.currentThread().getId(); // threadId() is JDK 19+; both are unique
        return (int) id == 0 ? -1 : (int) id;
    }

    // ---------------------------------------------------------------- factories

    /** A tensor of zeros. */
    public static Tensor zeros(int... dims) {
        Shape s = Shape.of(dims);
        return fresh(new float[s.size()], s);
    }

    /** A tensor of ones. */
    public static Tensor ones(int... dims) {
        return full(1f, dims);
    }

    /** A tensor filled with {@code value}. */
    public static Tensor full(float value, int... dims) {
        Shape s = Shape.of(dims);
        float[] d = new float[s.size()];
        Arrays.fill(d, value);
        return fresh(d, s);
    }

    /** A scalar (shape {@code []}). */
    public static Tensor scalar(float value) {
        return fresh(new float[] {value}, Shape.SCALAR);
    }

    /**
     * A tensor holding a copy of {@code values} in row-major order. With no {@code dims} the
     * tensor is one-dimensional.
     *
     * @throws IllegalArgumentException if the number of values does not match the shape
     */
    public static Tensor of(float[] values, int... dims) {
        return wrap(values.clone(), dims);
    }

    /**
     * A tensor that shares {@code data}: later writes to the array show through the tensor (and
     * are not seen by autograd's version check). Use it to hand large arrays over without a copy.
     *
     * @throws IllegalArgumentException if the array length does not match the shape
     */
    public static Tensor wrap(float[] data, int... dims) {
        return wrap(data, dims.length == 0 ? Shape.of(data.length) : Shape.of(dims));
    }

    /**
     * A tensor of the given shape (a scalar too) that shares {@code data}, as
     * {@link #wrap(float[], int...)}; the usual way for an op to return its result.
     *
     * @throws IllegalArgumentException if the array length is not {@code shape.size()}
     */
    public static Tensor wrap(float[] data, Shape shape) {
        if (shape.size() != data.length) {
            throw new IllegalArgumentException("tensor: " + data.length + " values do not fill shape " + shape
                    + " (expected " + shape.size() + ")");
        }
        return fresh(data, shape);
    }

    /** {@code [0, 1, ..., n-1]}. */
    public static Tensor arange(int n) {
        return arange(0, n, 1);
    }

    /**
     * The values {@code start, start+step, ...} below {@code end} (above it for a negative step),
     * as PyTorch's {@code arange}.
     *
     * @throws IllegalArgumentException if {@code step} is zero or not finite
     */
    public static Tensor arange(double start, double end, double step) {
        if (step == 0 || !Double.isFinite(step)) {
            throw new IllegalArgumentException("arange: step must be finite and non-zero, got " + step);
        }
        int n = (int) Math.max(0, Math.ceil((end - start) / step));
        float[] d = new float[n];
        for (int i = 0; i < n; i++) {
            d[i] = (float) (start + i * step);
        }
        return fresh(d, Shape.of(n));
    }

    /**
     * Uniform values in {@code [0, 1)} drawn from {@code rng}, one {@code nextFloat()} per element in
     * row-major order: {@code Tensor.rand(new Random(345), 3, 4)} is the same every run. The
     * generator is always explicit (there is no {@code rand(long seed, int...)}), so that
     * {@code rand(3, 4)} cannot silently mean "seed 3, shape [4]": it does not compile.
     */
    public static Tensor rand(Random rng, int... dims) {
        Shape s = Shape.of(dims);
        float[] d = new float[s.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = rng.nextFloat();
        }
        return fresh(d, s);
    }

    /**
     * Standard normal values drawn from {@code rng}, one {@code nextGaussian()} per element in
     * row-major order, as {@code torch.randn(3, 4, generator=g)}:
     * {@code Tensor.randn(new Random(345), 3, 4)}. The generator is always explicit, so that
     * {@code randn(3, 4)} cannot silently mean "seed 3, shape [4]" (it does not compile); pass one
     * {@code Random} to several calls to draw them in sequence.
     */
    public static Tensor randn(Random rng, int... dims) {
        Shape s = Shape.of(dims);
        float[] d = new float[s.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) rng.nextGaussian();
        }
        return fresh(d, s);
    }

    // ---------------------------------------------------------------- reading

    /** The shape. */
    public Shape shape() {
        return shape;
    }

    /** The number of dimensions. */
    public int rank() {
        return shape.rank();
    }

    /** The size of dimension {@code d}; negative {@code d} counts from the end. */
    public int dim(int d) {
        return shape.dim(d);
    }

    /** The number of elements. */
    public int size() {
        return shape.size();
    }

    /**
     * The element at {@code index}, one coordinate per dimension.
     *
     * @throws IllegalArgumentException if the index has the wrong rank or is out of bounds
     */
    public float get(int... index) {
        return data[shape.offset(index, "get")];
    }

    /**
     * The value of a one-element tensor, as PyTorch's {@code item()}.
     *
     * @throws IllegalStateException if the tensor has more or fewer than one element
     */
    public float item() {
        if (data.length != 1) {
            throw new IllegalStateException("item: tensor of shape " + shape + " has " + data.length
                    + " elements, expected 1");
        }
        return data[0];
    }

    /** A copy of the values in row-major order. */
    public float[] toArray() {
        return data.clone();
    }

    /**
     * The row-major position of the first NaN or infinite value, or -1 if every value is finite: a
     * check of inputs and loaded state that reads the values without copying them. Use
     * {@link Shape#strides()} to turn the position into coordinates.
     */
    public int indexOfNonFinite() {
        for (int i = 0; i < data.length; i++) {
            if (!Float.isFinite(data[i])) {
                return i;
            }
        }
        return -1;
    }

    /**
     * How often the values were changed in place; shared with views. Autograd compares it with
     * the value it saw when an op was recorded.
     */
    public int version() {
        return version[0];
    }

    // ---------------------------------------------------------------- autograd state

    /** Whether gradients flow to this tensor: a leaf that asked for them, or a recorded result. */
    public boolean requiresGrad() {
        return requiresGrad;
    }

    /**
     * Asks for (or stops asking for) the gradient of this leaf; returns {@code this}.
     *
     * @throws IllegalStateException if this tensor is the result of a recorded op (only leaves can
     *     change this flag; use {@link #detach()})
     */
    public Tensor requiresGrad(boolean requires) {
        if (producer != null) {
            throw new IllegalStateException("requiresGrad: this tensor is the result of the recorded op '"
                    + producer.op + "'; only leaves can change it (detach() gives a leaf)");
        }
        this.requiresGrad = requires;
        return this;
    }

    void markRecorded(Tape.Entry entry) {
        this.producer = entry;
        this.requiresGrad = true;
    }

    /** Called when the tape that recorded this tensor closes: it becomes a plain value. */
    void forgetProducer() {
        this.freedOp = producer.op;
        this.producer = null;
        this.requiresGrad = false;
    }

    /** True for tensors not produced by a recorded op. */
    public boolean isLeaf() {
        return producer == null;
    }

    /**
     * The accumulated gradient of this leaf, or {@code null} before the first backward pass. It
     * is a plain tensor (it does not require a gradient itself).
     */
    public Tensor grad() {
        return grad;
    }

    /**
     * Sets the gradient to zero, keeping its storage (gradients accumulate across backward passes
     * until zeroed, as in PyTorch). Does nothing if there is no gradient yet.
     */
    public void zeroGrad() {
        if (grad != null) {
            Arrays.fill(grad.data, 0f);
            grad.version[0]++;
        }
    }

    void clearGrad() {
        grad = null;
    }

    void restoreGrad(Tensor saved) {
        grad = saved;
    }

    /** {@code grad += g}, creating the gradient on first use. */
    void accumulateGrad(float[] g) {
        if (grad == null) {
            grad = fresh(g.clone(), shape);
        } else {
            float[] acc = grad.data;
            for (int i = 0; i < acc.length; i++) {
                acc[i] += g[i];
            }
            grad.version[0]++;
        }
    }

    /**
     * A new leaf with a copy of the values and the same shape (scalars included), not requiring a
     * gradient: a snapshot that later in-place writes to this tensor do not change. Not recorded.
     */
    public Tensor copy() {
        return fresh(data.clone(), shape);
    }

    /**
     * A leaf that shares the values (and version counter) of this tensor but is cut off from
     * autograd, as PyTorch's {@code detach()}.
     */
    public Tensor detach() {
        return new Tensor(data, shape, version);
    }

    /**
     * Backpropagates from this scalar: adds {@code d this / d leaf} to the {@link #grad()} of every
     * leaf that requires a gradient, then frees the tape (a second backward through the same
     * recording fails). Equivalent to {@code backward(Tensor.scalar(1))}.
     *
     * @throws IllegalStateException if this tensor has more than one element, does not require a
     *     gradient, was not recorded on an open tape, or an input of a recorded op was modified in
     *     place after it was recorded
     */
    public void backward() {
        if (size() != 1) {
            throw new IllegalStateException("backward: grad can be implicitly created only for a scalar, "
                    + "got shape " + shape + "; pass a gradient of that shape");
        }
        backward(ones(shape.dimsView()));
    }

    /**
     * Backpropagates {@code gradient} (d loss / d this, same shape as this tensor) through the ops
     * recorded on the tape and adds the result to every leaf's {@link #grad()}.
     *
     * @throws IllegalArgumentException if {@code gradient} has another shape
     * @throws IllegalStateException as {@link #backward()}
     */
    public void backward(Tensor gradient) {
        if (!gradient.shape.equals(shape)) {
            throw new IllegalArgumentException("backward: gradient of shape " + gradient.shape
                    + " does not match tensor of shape " + shape);
        }
        if (!requiresGrad && freedOp != null) {
            throw new IllegalStateException("backward: the tape that recorded '" + freedOp
                    + "' was already used by a backward pass or closed; record the forward pass again");
        }
        if (!requiresGrad) {
            throw new IllegalStateException("backward: tensor does not require grad and has no recorded op; "
                    + "record the forward pass inside try (Tape tape = Tape.record()) { ... } "
                    + "with inputs that require grad");
        }
        if (producer == null) {
            accumulateGrad(gradient.data);
        } else {
            producer.tape.backward(producer, gradient.data);
        }
    }

    // ---------------------------------------------------------------- in-place writes

    private void beforeWrite(String op) {
        if (requiresGrad && Tape.gradRecordingActive()) {
            throw new IllegalStateException(op + ": a tensor that requires grad cannot be changed in place "
                    + "while a tape records; do it after the tape closes or inside Tape.noGrad()");
        }
        version[0]++;
        version[1] = writerId();
    }

    /** Sets one element; returns {@code this}. Bumps the version. */
    public Tensor set(float value, int... index) {
        int off = shape.offset(index, "set");
        beforeWrite("set");
        data[off] = value;
        return this;
    }

    /** Sets every element to {@code value}; returns {@code this}. Bumps the version. */
    public Tensor fill(float value) {
        beforeWrite("fill");
        Arrays.fill(data, value);
        return this;
    }

    /**
     * Copies the values of {@code src} (same number of elements) into this tensor; returns
     * {@code this}. Bumps the version.
     *
     * @throws IllegalArgumentException if the shapes differ
     */
    public Tensor copyFrom(Tensor src) {
        requireSameShape("copyFrom", src);
        beforeWrite("copyFrom");
        System.arraycopy(src.data, 0, data, 0, data.length);
        return this;
    }

    /**
     * {@code this += alpha * other} for a tensor of the same shape (the SGD update); returns
     * {@code this}. Bumps the version.
     *
     * @throws IllegalArgumentException if the shapes differ
     */
    public Tensor addInPlace(float alpha, Tensor other) {
        requireSameShape("addInPlace", other);
        beforeWrite("addInPlace");
        float[] o = other.data;
        for (int i = 0; i < data.length; i++) {
            data[i] += alpha * o[i];
        }
        return this;
    }

    /** {@code this *= factor}; returns {@code this}. Bumps the version. */
    public Tensor mulInPlace(float factor) {
        beforeWrite("mulInPlace");
        for (int i = 0; i < data.length; i++) {
            data[i] *= factor;
        }
        return this;
    }

    private void requireSameShape(String op, Tensor other) {
        if (!other.shape.equals(shape)) {
            throw new IllegalArgumentException(op + ": shape " + other.shape + " does not match " + shape);
        }
    }

    // ---------------------------------------------------------------- element-wise, broadcasting

    /** {@code this + other}, broadcasting. */
    public Tensor add(Tensor other) {
        return Elementwise.add(this, other);
    }

    /** {@code this - other}, broadcasting. */
    public Tensor sub(Tensor other) {
        return Elementwise.sub(this, other);
    }

    /** {@code this * other}, broadcasting. */
    public Tensor mul(Tensor other) {
        return Elementwise.mul(this, other);
    }

    /** {@code this / other}, broadcasting. */
    public Tensor div(Tensor other) {
        return Elementwise.div(this, other);
    }

    /**
     * The element-wise maximum, broadcasting. Where both are equal the gradient is split in half
     * between them, as in PyTorch.
     */
    public Tensor maximum(Tensor other) {
        return Elementwise.maximum(this, other);
    }

    /**
     * The element-wise minimum, broadcasting; NaN propagates. Where both are equal the gradient is
     * split in half between them, as in PyTorch.
     */
    public Tensor minimum(Tensor other) {
        return Elementwise.minimum(this, other);
    }

    /**
     * {@code this ^ exponent} element-wise, broadcasting, as {@code torch.pow} with a tensor
     * exponent. Gradients {@code b a^(b-1)} to the base (0 where {@code b = 0}) and
     * {@code a^b ln a} to the exponent (0 where {@code a = 0} and {@code b >= 0}), as PyTorch.
     */
    public Tensor pow(Tensor exponent) {
        return Elementwise.pow(this, exponent);
    }

    /**
     * {@code condition != 0 ? x : y} element-wise, the three broadcasting, as {@code torch.where}:
     * any non-zero value of {@code condition} (a mask of 0s and 1s, say) picks {@code x}. The
     * gradient goes to the side that was picked; the condition gets none (it is read once, at the
     * call).
     *
     * @throws IllegalArgumentException if the shapes cannot broadcast
     */
    public static Tensor where(Tensor condition, Tensor x, Tensor y) {
        return Elementwise.where(condition, x, y);
    }

    /** {@code this + c}. */
    public Tensor add(float c) {
        return Elementwise.affine("add", this, 1f, c);
    }

    /** {@code this - c}. */
    public Tensor sub(float c) {
        return Elementwise.affine("sub", this, 1f, -c);
    }

    /** {@code this * c}. */
    public Tensor mul(float c) {
        return Elementwise.affine("mul", this, c, 0f);
    }

    /** {@code this / c}. */
    public Tensor div(float c) {
        return Elementwise.affine("div", this, 1f / c, 0f);
    }

    /** {@code -this}. */
    public Tensor neg() {
        return Elementwise.affine("neg", this, -1f, 0f);
    }

    /** {@code e^this}. */
    public Tensor exp() {
        return Elementwise.exp(this);
    }

    /** The natural logarithm. */
    public Tensor log() {
        return Elementwise.log(this);
    }

    /** The square root. */
    public Tensor sqrt() {
        return Elementwise.sqrt(this);
    }

    /** {@code this * this}. */
    public Tensor square() {
        return Elementwise.square(this);
    }

    /** {@code this ^ exponent}; gradient {@code exponent * this^(exponent-1)}. */
    public Tensor pow(float exponent) {
        return Elementwise.pow(this, exponent);
    }

    /** {@code 1 / (1 + e^-this)}. */
    public Tensor sigmoid() {
        return Elementwise.sigmoid(this);
    }

    /** {@code max(this, 0)}; the gradient at 0 is 0, as in PyTorch. */
    public Tensor relu() {
        return Elementwise.relu(this);
    }

    /** The hyperbolic tangent; gradient {@code 1 - tanh^2}. */
    public Tensor tanh() {
        return Elementwise.tanh(this);
    }

    /**
     * The exact GELU, {@code x * Phi(x)} with {@code Phi} the standard normal CDF (PyTorch's
     * {@code gelu} with {@code approximate='none'}); gradient {@code Phi(x) + x phi(x)}.
     */
    public Tensor gelu() {
        return Elementwise.gelu(this);
    }

    /**
     * The tanh approximation of GELU, PyTorch's {@code gelu} with {@code approximate='tanh'}:
     * {@code 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))}; gradient
     * {@code 0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2 / pi) (1 + 3 * 0.044715 x^2)} with {@code t} the tanh.
     */
    public Tensor geluTanh() {
        return Elementwise.geluTanh(this);
    }

    /** {@code |this|}; the gradient at 0 is 0, as in PyTorch. */
    public Tensor abs() {
        return Elementwise.abs(this);
    }

    /**
     * {@code min(max(this, min), max)} element-wise, as {@code torch.clamp}; pass
     * {@code Float.NEGATIVE_INFINITY} or {@code Float.POSITIVE_INFINITY} for no bound. With
     * {@code min > max} every element becomes {@code max} (PyTorch's rule); NaN stays NaN. The
     * gradient passes where {@code min <= this <= max} and is 0 elsewhere.
     *
     * @throws IllegalArgumentException if a bound is NaN
     */
    public Tensor clamp(float min, float max) {
        return Elementwise.clamp(this, min, max);
    }

    // ---------------------------------------------------------------- reductions

    /** The sum of all elements, a scalar. */
    public Tensor sum() {
        return Reductions.reduce(Reductions.Kind.SUM, this, null, false, false);
    }

    /** The sum over {@code dim}. */
    public Tensor sum(int dim, boolean keepdim) {
        return sum(new int[] {dim}, keepdim);
    }

    /**
     * The sum over the given dimensions; with {@code keepdim} they stay as size 1 so that the
     * result broadcasts against this tensor.
     *
     * @throws IllegalArgumentException if a dimension is out of range or repeated
     */
    public Tensor sum(int[] dims, boolean keepdim) {
        return Reductions.reduce(Reductions.Kind.SUM, this, dims, keepdim, false);
    }

    /** The mean of all elements, a scalar. */
    public Tensor mean() {
        return Reductions.reduce(Reductions.Kind.MEAN, this, null, false, false);
    }

    /** The mean over {@code dim}. */
    public Tensor mean(int dim, boolean keepdim) {
        return mean(new int[] {dim}, keepdim);
    }

    /** The mean over the given dimensions (see {@link #sum(int[], boolean)}). */
    public Tensor mean(int[] dims, boolean keepdim) {
        return Reductions.reduce(Reductions.Kind.MEAN, this, dims, keepdim, false);
    }

    /**
     * The variance of all elements: {@code sum((x - mean)^2) / (n - 1)} when {@code unbiased},
     * else {@code / n}.
     */
    public Tensor var(boolean unbiased) {
        return Reductions.reduce(Reductions.Kind.VAR, this, null, false, unbiased);
    }

    /** The variance over {@code dim} (see {@link #var(boolean)}). */
    public Tensor var(int dim, boolean unbiased, boolean keepdim) {
        return var(new int[] {dim}, unbiased, keepdim);
    }

    /** The variance over the given dimensions (see {@link #var(boolean)}). */
    public Tensor var(int[] dims, boolean unbiased, boolean keepdim) {
        return Reductions.reduce(Reductions.Kind.VAR, this, dims, keepdim, unbiased);
    }

    /**
     * The maximum along {@code dim}; the gradient goes to the first position of the maximum. NaN
     * counts as larger than any number, as in PyTorch.
     */
    public Tensor max(int dim, boolean keepdim) {
        return Reductions.max(this, dim, keepdim);
    }

    /**
     * The index of the maximum along {@code dim} for every position of the other dimensions, in
     * their row-major order: for {@code [N, C]} logits and {@code dim = 1}, the predicted class of
     * each of the {@code N} rows, ready to compare with the labels. The first index on ties; NaN
     * counts as larger than any number, as in PyTorch. Not differentiable.
     *
     * @throws IllegalArgumentException if {@code dim} is out of range or that dimension is empty
     */
    public int[] argmax(int dim) {
        return Reductions.argExtremum("argmax", this, shape.axis(dim, "argmax"), 1);
    }

    /**
     * The index of the minimum along {@code dim}, as {@link #argmax(int)} (first on ties, NaN wins).
     *
     * @throws IllegalArgumentException if {@code dim} is out of range or that dimension is empty
     */
    public int[] argmin(int dim) {
        return Reductions.argExtremum("argmin", this, shape.axis(dim, "argmin"), -1);
    }

    // ---------------------------------------------------------------- linear algebra and views

    /**
     * The matrix product, as {@code torch.matmul} for operands of at least 2 dimensions:
     * {@code [m, k] x [k, n] -> [m, n]}, and batched, {@code [*, m, k] x [*, k, n] -> [*, m, n]},
     * where the leading (batch) dimensions broadcast: {@code [B, m, k] x [k, n]} multiplies every
     * batch by the same matrix, and its gradient sums over the batches.
     *
     * @throws IllegalArgumentException if either has fewer than 2 dimensions, the inner sizes
     *     differ or the batch dimensions cannot broadcast
     */
    public Tensor matmul(Tensor other) {
        return Linalg.matmul(this, other);
    }

    /**
     * The transpose of a 2-D tensor (a copy); {@link #transpose(int, int)} for any rank.
     *
     * @throws IllegalArgumentException if the tensor is not 2-D
     */
    public Tensor transpose() {
        if (rank() != 2) {
            throw new IllegalArgumentException("transpose: expected a 2-D tensor, got " + shape);
        }
        return transpose(0, 1);
    }

    /**
     * This tensor with dimensions {@code dim0} and {@code dim1} swapped (a copy), as
     * {@code torch.transpose}.
     *
     * @throws IllegalArgumentException if a dimension is out of range
     */
    public Tensor transpose(int dim0, int dim1) {
        int[] order = new int[rank()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        int a = shape.axis(dim0, "transpose");
        int b = shape.axis(dim1, "transpose");
        order[a] = b;
        order[b] = a;
        return Layout.permute("transpose", this, order);
    }

    /**
     * This tensor with its dimensions reordered (a copy), as {@code torch.permute}: dimension
     * {@code i} of the result is dimension {@code order[i]} of this tensor; {@code [N, H, W, C]}
     * with {@code permute(0, 3, 1, 2)} is {@code [N, C, H, W]}.
     *
     * @throws IllegalArgumentException if {@code order} is not a permutation of the dimensions
     */
    public Tensor permute(int... order) {
        return Layout.permute("permute", this, order);
    }

    /**
     * This tensor stretched to {@code dims} (a copy), as {@code torch.expand}: sizes of 1 stretch,
     * new dimensions may be added in front, and {@code -1} keeps a size. The gradient sums over the
     * stretched dimensions.
     *
     * @throws IllegalArgumentException if a dimension of size other than 1 would change
     */
    public Tensor expand(int... dims) {
        return Layout.expand(this, dims);
    }

    /**
     * A view with a dimension of size 1 inserted at {@code dim} (from {@code -(rank+1)} to
     * {@code rank}), as {@code torch.unsqueeze}.
     *
     * @throws IllegalArgumentException if {@code dim} is out of range
     */
    public Tensor unsqueeze(int dim) {
        return Layout.unsqueeze(this, dim);
    }

    /**
     * A view without dimension {@code dim} if its size is 1; otherwise a view of the same shape
     * (as {@code torch.squeeze(x, dim)}).
     *
     * @throws IllegalArgumentException if {@code dim} is out of range
     */
    public Tensor squeeze(int dim) {
        return Layout.squeeze(this, dim);
    }

    /** A view without any dimension of size 1. */
    public Tensor squeeze() {
        return Layout.squeeze(this);
    }

    /**
     * The {@code length} values from {@code start} along {@code dim} (a copy; the rank stays), as
     * {@code torch.narrow}: the slice {@code x[..., start:start+length, ...]}.
     *
     * @throws IllegalArgumentException if {@code dim} is out of range or the range exceeds the dimension
     */
    public Tensor narrow(int dim, int start, int length) {
        return Layout.narrow("narrow", this, dim, start, length);
    }

    /**
     * The slice at {@code index} along {@code dim}, that dimension removed (a copy), as
     * {@code torch.select}: {@code x[..., index, ...]}; a negative index counts from the end.
     *
     * @throws IllegalArgumentException if {@code dim} or {@code index} is out of range
     */
    public Tensor select(int dim, int index) {
        return Layout.select(this, dim, index);
    }

    /**
     * Consecutive pieces of {@code size} along {@code dim}, the last one smaller if the size does
     * not divide the dimension, as {@code torch.split}. Each piece is a copy and its own op.
     *
     * @throws IllegalArgumentException if {@code size} is below 1 or {@code dim} is out of range
     */
    public List<Tensor> split(int size, int dim) {
        return Layout.split("split", this, size, dim);
    }

    /**
     * {@code chunks} pieces along {@code dim} of {@code ceil(size(dim) / chunks)} each (the last
     * smaller; fewer pieces when that size leaves nothing for the last ones), as {@code torch.chunk}.
     *
     * @throws IllegalArgumentException if {@code chunks} is below 1 or {@code dim} is out of range
     */
    public List<Tensor> chunk(int chunks, int dim) {
        return Layout.chunk(this, chunks, dim);
    }

    /**
     * The tensors joined along the existing dimension {@code dim}, as {@code torch.cat}: they have
     * the same shape except in that dimension. The inverse of {@link #split}.
     *
     * @throws IllegalArgumentException if the list is empty, holds null, or the shapes do not match
     */
    public static Tensor cat(List<Tensor> tensors, int dim) {
        return Layout.cat("cat", tensors, dim, false);
    }

    /**
     * The tensors, all of one shape, joined along a new dimension {@code dim} (from
     * {@code -(rank+1)} to {@code rank}), as {@code torch.stack}.
     *
     * @throws IllegalArgumentException if the list is empty, holds null, or the shapes differ
     */
    public static Tensor stack(List<Tensor> tensors, int dim) {
        return Layout.cat("stack", tensors, dim, true);
    }

    /**
     * The slices {@code index[0], index[1], ...} along {@code dim}, in that order (repeats allowed),
     * as {@code torch.index_select}; the result has {@code index.length} entries in that dimension.
     * The gradient of a slice picked twice is the sum.
     *
     * @throws IllegalArgumentException if {@code dim} or an index is out of range
     */
    public Tensor indexSelect(int dim, int[] index) {
        return Indexing.indexSelect(this, dim, index);
    }

    /**
     * One value per index along {@code dim}, as {@code torch.gather} with an index of this
     * tensor's shape except along {@code dim}: for a 2-D tensor and {@code dim = 1},
     * {@code y[i][j] = x[i][index[i * m + j]]} with {@code m = index.length / size(0)} values per row.
     * {@code logits.gather(1, labels)} picks each row's label column ({@code [N, 1]}). The index is
     * row-major over the result's shape.
     *
     * @throws IllegalArgumentException if {@code dim} or an index is out of range, or the number of
     *     indices is not a multiple of the size of the other dimensions
     */
    public Tensor gather(int dim, int[] index) {
        return Indexing.gather(this, dim, index);
    }

    /**
     * A view with the same values in another shape; one dimension may be {@code -1} and is then
     * inferred. Shares the values and the version counter.
     *
     * @throws IllegalArgumentException if the sizes do not match
     */
    public Tensor reshape(int... dims) {
        return Linalg.reshape(this, dims);
    }

    /** A one-dimensional view. */
    public Tensor flatten() {
        return reshape(-1);
    }

    /**
     * A view that merges dimensions {@code startDim..} into one, as {@code torch.flatten(x, startDim)}:
     * {@code [N, C, H, W].flatten(1)} is {@code [N, C*H*W]}.
     */
    public Tensor flatten(int startDim) {
        int start = shape.axis(startDim, "flatten");
        int[] d = shape.dimsView();
        int[] out = Arrays.copyOf(d, start + 1);
        int tail = 1;
        for (int i = start; i < d.length; i++) {
            tail *= d[i];
        }
        out[start] = tail;
        return reshape(out);
    }

    /**
     * Prints like PyTorch for small tensors, e.g. {@code tensor([[1., 2.], [3., 4.]])} on two lines;
     * tensors with more than 1000 elements are summarised with {@code ...}.
     */
    @Override
    public String toString() {
        String suffix = producer != null ? ", grad_fn=<" + producer.op + ">"
                : requiresGrad ? ", requires_grad=True" : "";
        return TensorFormat.format(data, shape, suffix);
    }
}
