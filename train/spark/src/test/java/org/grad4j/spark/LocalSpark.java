package org.grad4j.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.grad4j.core.Tensor;
import org.grad4j.layers.Linear;
import org.grad4j.layers.Module;
import org.grad4j.layers.ReLU;
import org.grad4j.layers.Sequential;

/**
 * One in-process Spark for all tests of the module (starting one costs seconds): two worker
 * threads, and each task may fail twice before the job does ({@code local[2,3]}), so an injected
 * failure is retried.
 */
final class LocalSpark {
    private static JavaSparkContext context;

    private LocalSpark() {
    }

    static synchronized JavaSparkContext context() {
        if (context == null) {
            SparkConf conf = new SparkConf().setMaster("local[2,3]").setAppName("grad4j-spark-test")
                    .set("spark.ui.enabled", "false")
                    .set("spark.driver.host", "127.0.0.1")
                    .set("spark.driver.bindAddress", "127.0.0.1")
                    .set("spark.ui.showConsoleProgress", "false");
            context = new JavaSparkContext(conf);
            Runtime.getRuntime().addShutdownHook(new Thread(context::stop));
        }
        return context;
    }

    /** {@code n} seeded examples of 4 features and 3 classes. */
    static List<Example> examples(int n, long seed) {
        Random rng = new Random(seed);
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[] x = new float[4];
            for (int j = 0; j < 4; j++) {
                x[j] = (float) rng.nextGaussian();
            }
            out.add(new Example(x, rng.nextInt(3)));
        }
        return out;
    }

    /** A small MLP without BatchNorm, the same initial values on every call. */
    static Module mlp() {
        Random rng = new Random(345);
        return new Sequential(new Linear(4, 8, true, rng), new ReLU(), new Linear(8, 3, true, rng));
    }

    static float[] flat(Module m) {
        return FlatParameters.values(m.parameters());
    }

    /** The batch of {@code rows} of {@code shard} stacked as [rows, 4] features and labels. */
    static Tensor features(List<Example> shard, int[] rows) {
        float[] x = new float[rows.length * 4];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(shard.get(rows[i]).features(), 0, x, i * 4, 4);
        }
        return Tensor.of(x, rows.length, 4);
    }
}
