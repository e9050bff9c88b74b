package org.grad4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.grad4j.core.Functional;
import org.grad4j.core.Tape;
import org.grad4j.core.Tensor;
import org.grad4j.layers.BatchNorm1d;
import org.grad4j.layers.BatchNorm2d;
import org.grad4j.layers.Conv2d;
import org.grad4j.layers.Flatten;
import org.grad4j.layers.Linear;
import org.grad4j.layers.MaxPool2d;
import org.grad4j.layers.Sequential;
import org.grad4j.layers.Sigmoid;
import org.junit.jupiter.api.Test;

/** What Module's and Tape's Javadoc promise about threads. */
class ThreadSafetyTest {
    /** BN-LeNet at 28x28, seeded: large enough that its kernels split work over threads. */
    private static Sequential lenet(long seed) {
        Random rng = new Random(seed);
        return new Sequential(new Conv2d(1, 6, 5, 1, 0, true, rng), new BatchNorm2d(6), new Sigmoid(),
                new MaxPool2d(2, 2), new Conv2d(6, 16, 5, 1, 0, true, rng), new BatchNorm2d(16), new Sigmoid(),
                new MaxPool2d(2, 2), new Flatten(), new Linear(16 * 4 * 4, 120, true, rng), new BatchNorm1d(120),
                new Sigmoid(), new Linear(120, 10, true, rng));
    }

    private static Tensor images(int n, long seed) {
        Random rng = new Random(seed);
        float[] x = new float[n * 28 * 28];
        for (int i = 0; i < x.length; i++) {
            x[i] = rng.nextFloat();
        }
        return Tensor.wrap(x, n, 1, 28, 28);
    }

    private static int[] labels(int n) {
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 10;
        }
        return y;
    }

    /** One SGD step on {@code net}, as the Trainer takes it. */
    private static void trainStep(Sequential net, SGD sgd, Tensor x, int[] y) {
        net.zeroGrad();
        try (Tape tape = Tape.record()) {
            Functional.crossEntropy(net.forward(x), y).backward();
        }
        sgd.step();
    }

    @Test
    void concurrentEvalInferenceUnderNoGradGivesTheSingleThreadedResults() throws Exception {
        Sequential net = lenet(11);
        SGD sgd = new SGD(net.parameters(), 0.5);
        for (int s = 0; s < 3; s++) {   // running statistics and weights away from their initial values
            trainStep(net, sgd, images(32, s), labels(32));
        }
        net.eval();
        int batches = 4;
        List<Tensor> inputs = new ArrayList<>();
        List<float[]> expected = new ArrayList<>();
        try (Tape.NoGrad off = Tape.noGrad()) {
            for (int b = 0; b < batches; b++) {
                inputs.add(images(32, 100 + b));
                expected.add(net.forward(inputs.get(b)).toArray());
            }
        }
        int threads = 4;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<List<float[]>>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int first = t;
                results.add(pool.submit(() -> {
                    start.await();
                    List<float[]> out = new ArrayList<>();
                    try (Tape.NoGrad off = Tape.noGrad()) {
                        for (int i = 0; i < 2 * batches; i++) {   // each thread in another order
                            out.add(net.forward(inputs.get((first + i) % batches)).toArray());
                        }
                    }
                    return out;
                }));
            }
            start.countDown();
            for (int t = 0; t < threads; t++) {
                List<float[]> out = results.get(t).get(60, TimeUnit.SECONDS);
                for (int i = 0; i < out.size(); i++) {
                    assertArrayEquals(expected.get((t + i) % batches), out.get(i), "thread " + t + ", call " + i);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void twoThreadsTrainingOneModelAreNamedAsTheCause() throws Exception {
        Sequential net = lenet(12);
        Tensor x = images(16, 1);
        int[] y = labels(16);
        CountDownLatch recorded = new CountDownLatch(1);
        CountDownLatch updated = new CountDownLatch(1);
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            // This thread records a forward pass; meanwhile the other thread takes a whole step on the
            // same model, which updates the parameters this thread's tape recorded.
            Future<?> step = other.submit(() -> {
                recorded.await();
                trainStep(net, new SGD(net.parameters(), 0.1), x, y);
                updated.countDown();
                return null;
            });
            IllegalStateException e;
            try (Tape tape = Tape.record()) {
                Tensor loss = Functional.crossEntropy(net.forward(x), y);
                recorded.countDown();
                updated.await();
                step.get(60, TimeUnit.SECONDS);
                e = assertThrows(IllegalStateException.class, loss::backward);
            }
            assertEquals("backward: input 1 of 'linear' (shape [10, 120]) was modified in place by another thread"
                    + " after it was recorded (version 2, recorded at version 1): the model is being trained by"
                    + " another thread at the same time; train one model from one thread, or give each thread"
                    + " its own copy (inference in eval mode under Tape.noGrad() may share a model)", e.getMessage());
        } finally {
            other.shutdownNow();
        }
    }

    @Test
    void anInPlaceChangeOnTheSameThreadKeepsItsMessage() {
        Tensor w = Tensor.of(new float[] {1, 2}, 2).requiresGrad(true);
        try (Tape tape = Tape.record()) {
            Tensor loss = w.sigmoid().sum();
            try (Tape.NoGrad off = Tape.noGrad()) {
                w.addInPlace(1f, Tensor.of(new float[] {1, 1}, 2));
            }
            IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
            assertEquals(true, e.getMessage().endsWith("was modified in place after it was recorded"
                    + " (version " + w.version() + ", recorded at version " + (w.version() - 1) + ")"), e.getMessage());
        }
    }
}
