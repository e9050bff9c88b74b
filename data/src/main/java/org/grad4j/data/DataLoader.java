package org.grad4j.data;

import java.util.Arrays;
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

/**
 * Batches of a {@link Dataset} (an {@link ImageDataset} or a {@link TensorDataset}), PyTorch's
 * {@code DataLoader} for data held in memory.
 *
 * <ul>
 *   <li>Batch size {@code B}: each batch holds features {@code [B, ...]} (images
 *       {@code [B, C, H, W]}) and {@code B} labels or float targets {@code [B, ...]}, copied from
 *       the dataset into fresh arrays (no object per sample).
 *   <li>Order: the dataset's order, or with {@link #withShuffle(long)} a permutation that is a
 *       function of the seed and the epoch number only: a new one each epoch, the same one when
 *       the program runs again (Fisher-Yates driven by a {@link SplittableRandom}).
 *   <li>The last batch of an epoch holds the {@code N mod B} remaining images, unless
 *       {@link #withDropLast(boolean) drop_last} drops it; with {@code N < B} and drop_last an
 *       epoch has no batch at all.
 *   <li>{@link #withPrefetch(boolean) Prefetch}: a background daemon thread assembles the next
 *       batch while the caller works on the current one. The batches are the same with and
 *       without it.
 *   <li>{@link #withAugmentation Augmentation} (training loaders of images): random crops and
 *       flips, each image's drawn from a generator that depends only on the augmentation seed,
 *       the epoch and the image's position in the epoch, so that the batches are the same with
 *       or without prefetch and whatever the thread count.
 * </ul>
 *
 * <p>Each {@link #iterator()} call (each for-each loop) starts the next epoch: 0, 1, 2, ...
 * <pre>{@code
 * DataLoader loader = new DataLoader(train, 256).withShuffle(345).withPrefetch(true);
 * for (int epoch = 0; epoch < 10; epoch++) {
 *     try (DataLoader.Epoch batches = loader.epoch(epoch)) {
 *         while (batches.hasNext()) {
 *             Batch b = batches.next();   // b.features() [256, 1, 28, 28], b.labels() int[256]
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

    private final Dataset data;
    private final int batchSize;
    private final boolean shuffle;
    private final long seed;
    private final boolean dropLast;
    private final boolean prefetch;
    private final long augmentationSeed;
    private final Augmentation[] augmentations;
    private final AtomicInteger nextEpoch = new AtomicInteger();

    /**
     * A loader in the dataset's order that keeps the last partial batch and does not prefetch.
     *
     * @param data the dataset
     * @param batchSize images per batch, at least 1
     * @throws IllegalArgumentException if {@code batchSize < 1}
     */
    public DataLoader(Dataset data, int batchSize) {
        this(Objects.requireNonNull(data, "data"), batchSize, false, 0, false, false, 0, new Augmentation[0]);
    }

    private DataLoader(Dataset data, int batchSize, boolean shuffle, long seed, boolean dropLast,
            boolean prefetch, long augmentationSeed, Augmentation[] augmentations) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize: actual " + batchSize + ", expected at least 1");
        }
        this.data = data;
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.seed = seed;
        this.dropLast = dropLast;
        this.prefetch = prefetch;
        this.augmentationSeed = augmentationSeed;
        this.augmentations = augmentations;
    }

    /**
     * This loader, shuffling each epoch with a permutation drawn from the seed and the epoch number.
     *
     * @param seed the seed, for example 345
     * @return a new loader; its epoch counter starts at 0
     */
    public DataLoader withShuffle(long seed) {
        return new DataLoader(data, batchSize, true, seed, dropLast, prefetch, augmentationSeed, augmentations);
    }

    /**
     * This loader, dropping or keeping the last batch when it is smaller than the batch size.
     *
     * @param dropLast {@code true} to drop it (PyTorch's {@code drop_last=True})
     * @return a new loader; its epoch counter starts at 0
     */
    public DataLoader withDropLast(boolean dropLast) {
        return new DataLoader(data, batchSize, shuffle, seed, dropLast, prefetch, augmentationSeed, augmentations);
    }

    /**
     * This loader, assembling the next batch on a background daemon thread or not.
     *
     * @param prefetch {@code true} to prefetch one batch ahead
     * @return a new loader; its epoch counter starts at 0
     */
    public DataLoader withPrefetch(boolean prefetch) {
        return new DataLoader(data, batchSize, shuffle, seed, dropLast, prefetch, augmentationSeed, augmentations);
    }

    /**
     * This loader, applying {@code augmentations} in order to every image of every batch, with a
     * generator per image drawn from {@code seed}, the epoch and the image's position in the
     * epoch: the same seed and epoch give the same images, with or without prefetch. Use it for
     * the training loader only; evaluation loaders stay plain.
     *
     * @param seed the augmentation seed, for example 346
     * @param augmentations for example {@link Augmentation#randomCrop} and
     *     {@link Augmentation#randomHorizontalFlip}; none turns augmentation off
     * @return a new loader; its epoch counter starts at 0
     * @throws IllegalArgumentException if the dataset's samples are not images {@code [C, H, W]}
     */
    public DataLoader withAugmentation(long seed, Augmentation... augmentations) {
        Augmentation[] list = augmentations.clone();
        for (Augmentation a : list) {
            Objects.requireNonNull(a, "withAugmentation: augmentation");
        }
        if (list.length > 0 && data.sampleShape().rank() != 3) {
            throw new IllegalArgumentException("withAugmentation: the samples of " + data + " are "
                    + data.sampleShape() + ", expected images [C, H, W]");
        }
        return new DataLoader(data, batchSize, shuffle, this.seed, dropLast, prefetch, seed, list);
    }

    /**
     * The dataset batched.
     *
     * @return the dataset
     */
    public Dataset dataset() {
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

    /** Copies the samples at {@code order[from..to)} into a new batch, augmented if asked. */
    private Batch assemble(int epoch, int[] order, int from, int to) {
        Batch batch = data.batch(Arrays.copyOfRange(order, from, to));
        if (augmentations.length == 0) {
            return batch;
        }
        int[] chw = data.sampleShape().dims();
        int plane = chw[0] * chw[1] * chw[2];
        // The batch's own array: augmenting in place changes only this batch.
        float[] images = batch.featureArray();
        for (int i = 0; i < batch.size(); i++) {
            SplittableRandom rng = new SplittableRandom(mix(mix(augmentationSeed + epoch * GOLDEN_GAMMA) + from + i));
            for (Augmentation a : augmentations) {
                a.apply(images, i * plane, chw[0], chw[1], chw[2], rng);
            }
        }
        return batch;
    }

    /** Stafford's variant 13 of MurmurHash3's finaliser: neighbouring inputs give unrelated seeds. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
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
            return loader.assemble(number, order, from, to);
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
