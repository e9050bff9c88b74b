/**
 * grad4j's core: float32 {@link org.grad4j.core.Tensor}s with NumPy broadcasting, the
 * {@link org.grad4j.core.Tape} autograd, the fused ops of {@link org.grad4j.core.Functional},
 * gradient checking, the {@link org.grad4j.core.Backend} the ops run on, and safetensors I/O
 * ({@link org.grad4j.core.io.SafeTensors}).
 *
 * <p>The kernels ({@code org.grad4j.core.kernels}) are not exported; the JSON reader
 * ({@code org.grad4j.core.internal}) is exported only to grad4j's training module. The Vector API
 * is optional: when the JVM runs with {@code --add-modules jdk.incubator.vector} the SIMD kernels
 * use it, otherwise the portable ones run.
 */
module org.grad4j.core {
    requires static jdk.incubator.vector;
    // EJML has no module descriptor: its names come from its jar files (ejml-fdense, ejml-core).
    requires ejml.fdense;
    requires ejml.core;

    exports org.grad4j.core;
    exports org.grad4j.core.io;
    exports org.grad4j.core.internal to org.grad4j.train;
}
