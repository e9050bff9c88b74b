/**
 * The JMH benchmarks of grad4j: {@code Gemm.gemm} at BN-LeNet's shapes, convolution, batch norm and
 * max pooling forward and backward, a training step and an eval step of the chapter's BN-LeNet, and
 * decoding the Fashion-MNIST training set. Build with {@code mvn -B -DskipTests package}, run with
 * {@code java -jar benchmarks/target/benchmarks.jar}; see {@code docs/benchmarks.md}.
 */
package org.grad4j.benchmarks;
