package org.grad4j.data;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.grad4j.core.Tensor;

/**
 * Batches of an {@link ImageDataset}, PyTorch's {@code DataLoader} for data held in memory.
 *
 * <ul>
 *   <li>Batch size {@code B}: each batch holds images {@code [B, C, H, W]} and {@code B} labels,
 *       copied from the dataset into fresh arrays (no object per image).
 *   <li>Order: the dataset's order, or with {@link #withShuffle(long)} a permutation that is a
 *       function of the seed and the epoch number only: a new one each epoch, the same one when
 *       the program runs again (Fisher-Yates driven by a {@link SplittableRandom}).
 *   <li>The last batch of an epoch holds the {@code N mod B} remaining images, unless
 *       {@link #withDropLast(boolean) drop_last} drops it; with {@code N < B} and drop_last an
 *       epoch has no batch at all.
 *   <li>{@link #withPrefetch(boolean) Prefetch}: a background daemon thread assembles the next
 *       batch while the caller works on the current one. The batches are the same with and
 *       without it.
 * </ul>
 *
 * <p>Each {@link #iterator()} call (each for-each loop) starts the next epoch: 0, 1, 2, ...
 * <pre>{@code
 * DataLoader loader = new DataLoader(train, 256).withShuffle(345).withPrefetch(true);
 * for (int epoch = 0; epoch < 10; epoch++) {
 *     try (DataLoader.Epoch batches = loader.epoch(epoch)) {
 *         while (batches.hasNext()) {
 *             Batch b = batches.next();   // b.images() [256, 1, 28, 28], b.labels() int[256]
 *         }
 *     }
 * }
 * }</pre>
 * A loader is immutable apart from the epoch counter of {@link #iterator()}; the {@code with}
 * methods return new loaders.
 */
public final class DataLoader implements Iterable<Batch> {
    /** Spreads epoch numbers over the seed space; SplittableRandom mixes the result further. */
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private final ImageDataset data;
    private final int batchSize;
    private final boolean shuffle;
    private final long seed;
    private final boolean dropLast;
    private final boolean prefetch;
    private final AtomicInteger nextEpoch = new AtomicInteger();

    /**
     * A loader in the dataset's order that keeps the last partial batch and does not prefetch.
     *
     * @param data the dataset
     * @param batchSize images per batch, at least 1
     * @throws IllegalArgumentException if {@code batchSize < 1}
     */
    public DataLoader(ImageDataset data, int batchSize) {
        this(Objects.requireNonNull(data, "data"), batchSize, false, 0, false, false);
    }

    private DataLoader(ImageDataset data, int batchSize, boolean shuffle, long seed, boolean dropLast,
            boolean prefetch) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize: actual " + batchSize + ", expected at least 1");
        }
        this.data = data;
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.seed = seed;
        this.dropLast = dropLast;
        this.prefetch = prefetch;
    }

    /**
     * This loader, shuffling each epoch with a permutation drawn from the seed and the epoch number.
     *
     * @param seed the seed, for example 345
     * @return a new loader; its epoch counter starts at 0
     */
    public DataLoader withShuffle(long seed) {
        return new DataLoader(data, batchSize, true, seed, dropLast, prefetch);
    }

    /**
     * This loader, dropping or keeping the last batch when it is smaller than the batch size.
     *
     * @param dropLast {@code true} to drop it (PyTorch's {@code drop_last=True})
     * @return a new loader; its epoch counter starts at 0
     */
    public DataLoader withDropLast(boolean dropLast) {
        return new DataLoader(data, batchSize, shuffle, seed, dropLast, prefetch);
    }

    /**
     * This loader, assembling the next batch on a background daemon thread or not.
     *
     * @param prefetch {@code true} to prefetch one batch ahead
     * @return a new loader; its epoch counter starts at 0
     */
    public DataLoader withPrefetch(boolean prefetch) {
        return new DataLoader(data, batchSize, shuffle, seed, dropLast, prefetch);
    }

    /**
     * The dataset batched.
     *
     * @return the dataset
     */
    public ImageDataset dataset() {
        return data;
    }

    /**
     * Images per batch.
     *
     * @return B
     */
    public int batchSize() {
        return batchSize;
    }

    /**
     * The number of batches in every epoch.
     *
     * @return {@code N / B} with drop_last, otherwise {@code ceil(N / B)}
     */
    public int batchCount() {
        int n = data.size();
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
    }

    /**
     * The order in which an epoch visits the images.
     *
     * @param epoch the epoch number, at least 0
     * @return a new array of the dataset indices: {@code 0, 1, ..., N-1} without shuffle, a
     *     permutation determined by the seed and {@code epoch} with shuffle
     * @throws IllegalArgumentException if {@code epoch < 0}
     */
    public int[] order(int epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch: actual " + epoch + ", expected >= 0");
        }
        int n = data.size();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        if (shuffle) {
            SplittableRandom rng = new SplittableRandom(seed + epoch * GOLDEN_GAMMA);
            for (int i = n - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        return order;
    }

    /**
     * The batches of one epoch. Close it (try-with-resources) when leaving the loop early so a
     * prefetch thread stops at once; an epoch read to its end closes itself.
     *
     * @param epoch the epoch number, at least 0: it selects the permutation
     * @return an iterator over {@link #batchCount()} batches
     * @throws IllegalArgumentException if {@code epoch < 0}
     */
    public Epoch epoch(int epoch) {
        return new Epoch(this, epoch, order(epoch));
    }

    /**
     * The batches of the next epoch: the first call gives epoch 0, the next epoch 1, and so on,
     * so that every for-each loop over the loader sees a new permutation.
     *
     * @return the epoch's iterator
     */
    @Override
    public Epoch iterator() {
        return epoch(nextEpoch.getAndIncrement());
    }

    /** Copies the images and labels at {@code order[from..to)} into a new batch. */
    private Batch assemble(int[] order, int from, int to) {
        int b = to - from;
        int plane = data.channels() * data.height() * data.width();
        float[] src = data.pixels();
        int[] srcLabels = data.labelArray();
        float[] images = new float[b * plane];
        int[] labels = new int[b];
        for (int i = 0; i < b; i++) {
            int index = order[from + i];
            System.arraycopy(src, index * plane, images, i * plane, plane);
            labels[i] = srcLabels[index];
        }
        return new Batch(Tensor.wrap(images, b, data.channels(), data.height(), data.width()), labels);
    }

    /**
     * The batches of one epoch, in order. Not thread-safe: one consumer per epoch.
     */
    public static final class Epoch implements Iterator<Batch>, AutoCloseable {
        private final DataLoader loader;
        private final int number;
        private final int[] order;
        private final int batches;
        private int next;
        private boolean closed;
        private ThreadPoolExecutor executor;
        private Future<Batch> pending;

        private Epoch(DataLoader loader, int number, int[] order) {
            this.loader = loader;
            this.number = number;
            this.order = order;
            this.batches = loader.batchCount();
            if (loader.prefetch && batches > 0) {
                executor = new ThreadPoolExecutor(1, 1, 1, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "grad4j-prefetch-epoch-" + number);
                    t.setDaemon(true);
                    return t;
                });
                // An epoch abandoned without close() must not keep a thread alive.
                executor.allowCoreThreadTimeOut(true);
                pending = executor.submit(() -> batch(0));
            }
        }

        /**
         * The epoch number.
         *
         * @return the number that selected this epoch's permutation
         */
        public int number() {
            return number;
        }

        /**
         * Whether a batch remains.
         *
         * @return {@code false} once every batch was returned or the epoch was closed
         */
        @Override
        public boolean hasNext() {
            return !closed && next < batches;
        }

        /**
         * The next batch.
         *
         * @return images {@code [B, C, H, W]} and {@code B} labels
         * @throws NoSuchElementException if no batch remains or the epoch was closed
         */
        @Override
        public Batch next() {
            if (!hasNext()) {
                throw new NoSuchElementException("epoch " + number + ": no batch after " + next + " of " + batches
                        + (closed && next < batches ? " (closed)" : ""));
            }
            int current = next++;
            Batch batch;
            if (executor != null) {
                batch = await(pending, current);
                int following = next;
                pending = following < batches ? executor.submit(() -> batch(following)) : null;
            } else {
                batch = batch(current);
            }
            if (next == batches) {
                close();
            }
            return batch;
        }

        private Batch batch(int index) {
            int from = index * loader.batchSize;
            int to = Math.min(from + loader.batchSize, order.length);
            return loader.assemble(order, from, to);
        }

        private Batch await(Future<Batch> future, int index) {
            try {
                return future.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                close();
                throw new IllegalStateException("epoch " + number + ": interrupted waiting for batch " + index, e);
            } catch (ExecutionException e) {
                close();
                Throwable cause = e.getCause();
                if (cause instanceof RuntimeException) {
                    throw (RuntimeException) cause;
                }
                if (cause instanceof Error) {
                    throw (Error) cause;
                }
                throw new IllegalStateException("epoch " + number + ": batch " + index + " failed", cause);
            }
        }

        /**
         * Stops the epoch: no further batches, and the prefetch thread, if any, ends before this
         * method returns. Closing twice does nothing.
         */
        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            if (executor != null) {
                if (pending != null) {
                    pending.cancel(true);
                    pending = null;
                }
                executor.shutdownNow();
                boolean interrupted = false;
                while (true) {
                    try {
                        // The task only copies floats, so it ends quickly once running.
                        if (executor.awaitTermination(1, TimeUnit.SECONDS)) {
                            break;
                        }
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        /** For tests: whether the prefetch thread has ended (true when there never was one). */
        boolean prefetcherTerminated() {
            return executor == null || executor.isTerminated();
        }
    }
}
