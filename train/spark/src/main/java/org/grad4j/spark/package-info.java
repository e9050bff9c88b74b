/**
 * Training on Apache Spark: {@link org.grad4j.spark.SparkTrainer} runs synchronous data-parallel
 * SGD over the partitions of an RDD of {@link org.grad4j.spark.Example}s. Spark is a
 * {@code provided} dependency of this artifact: the cluster or {@code spark-submit} supplies it,
 * and nothing else in grad4j depends on this artifact.
 */
package org.grad4j.spark;
