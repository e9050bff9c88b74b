package org.grad4j.core.kernels;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs a loop over {@code [0, n)} on {@link Kernels#threads()} threads with a static partition,
 * so that kernels can be parallel and still deterministic.
 *
 * <p>{@link #forRange forRange(n, body)} cuts {@code [0, n)} into {@code p = parts(n)}
 * contiguous chunks, chunk {@code i} being {@code [start(n, p, i), start(n, p, i + 1))}, and calls
 * {@code body.run(from, to)} once per chunk: chunk 0 on the calling thread, the others on a shared
 * pool of {@code threads() - 1} daemon threads. It returns when every chunk is done. The chunks
 * depend only on {@code n} and the thread count, never on timing, so a body whose chunks write
 * disjoint outputs (and reduce, if at all, in a fixed order within its chunk) gives bit-identical
 * results from run to run at a fixed thread count.
 *
 * <p>A {@code forRange} called from inside a body (nested) runs its chunks one after the other on
 * the calling thread, with the same boundaries; so does every call when the thread count is 1.
 * Callers decide themselves when an operation is too small to be worth the hand-off to another
 * thread (a few microseconds) and then call their body directly.
 *
 * <p>Internal API, public only for the other grad4j packages.
 */
public final class Parallel {
    /** The body of a parallel loop: processes the indices {@code from} (inclusive) to {@code to} (exclusive). */
    @FunctionalInterface
    public interface RangeBody {
        /**
         * Processes {@code [from, to)}.
         *
         * @param from the first index of the chunk
         * @param to one past the last index of the chunk
         */
        void run(int from, int to);
    }

    private static final ThreadLocal<boolean[]> INSIDE = ThreadLocal.withInitial(() -> new boolean[1]);
    private static final AtomicInteger WORKER_IDS = new AtomicInteger();
    private static ThreadPoolExecutor pool;

    private Parallel() {
    }

    /**
     * The number of chunks {@link #forRange} cuts {@code [0, n)} into: {@code min(n, threads())},
     * and 0 when {@code n <= 0}.
     */
    public static int parts(int n) {
        return n <= 0 ? 0 : Math.min(n, Kernels.threads());
    }

    /**
     * The first index of chunk {@code i} when {@code [0, n)} is cut into {@code parts} chunks:
     * {@code floor(i * n / parts)}; chunk sizes differ by at most one.
     */
    public static int start(int n, int parts, int i) {
        return (int) ((long) n * i / parts);
    }

    /**
     * Calls {@code body.run(from, to)} once for each of the {@link #parts parts(n)} chunks of
     * {@code [0, n)}, in parallel, and returns when all are done. Does nothing when {@code n <= 0}.
     * If a chunk throws, the first exception is rethrown after every chunk has finished (a checked
     * exception arrives wrapped in a {@link RuntimeException}).
     *
     * @param n the number of indices
     * @param body the loop body; must be safe to run on several threads at once for disjoint chunks
     */
    public static void forRange(int n, RangeBody body) {
        int parts = parts(n);
        if (parts == 0) {
            return;
        }
        boolean[] inside = INSIDE.get();
        if (parts == 1 || inside[0]) {
            for (int i = 0; i < parts; i++) {
                body.run(start(n, parts, i), start(n, parts, i + 1));
            }
            return;
        }
        Join join = new Join(parts - 1);
        ExecutorService executor = pool(parts - 1);
        for (int i = 1; i < parts; i++) {
            Chunk chunk = new Chunk(join, body, start(n, parts, i), start(n, parts, i + 1));
            try {
                executor.execute(chunk);
            } catch (RejectedExecutionException e) {
                // The pool was replaced by setThreads while we used it: run the chunk here.
                inside[0] = true;
                try {
                    chunk.run();
                } finally {
                    inside[0] = false;
                }
            }
        }
        Throwable mine = null;
        inside[0] = true;
        try {
            body.run(0, start(n, parts, 1));
        } catch (Throwable t) {
            mine = t;
        } finally {
            inside[0] = false;
        }
        join.await();
        Throwable first = mine != null ? mine : join.failure;
        if (first instanceof RuntimeException) {
            throw (RuntimeException) first;
        }
        if (first instanceof Error) {
            throw (Error) first;
        }
        if (first != null) {
            throw new RuntimeException(first);
        }
    }

    /** Called by {@link Kernels#setThreads} under its lock: the next parallel call makes a new pool. */
    static void resize(int threads) {
        ThreadPoolExecutor old;
        synchronized (Parallel.class) {
            old = pool;
            pool = null;
        }
        if (old != null) {
            old.shutdown();
        }
    }

    private static synchronized ExecutorService pool(int minWorkers) {
        int workers = Math.max(minWorkers, Kernels.threads() - 1);
        if (pool == null || pool.getCorePoolSize() < workers) {
            ThreadPoolExecutor old = pool;
            pool = new ThreadPoolExecutor(workers, workers, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(() -> {
                    INSIDE.get()[0] = true;
                    r.run();
                }, "grad4j-kernels-" + WORKER_IDS.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            // Idle workers exit after 30 s and come back on demand: an idle library holds no threads.
            pool.allowCoreThreadTimeOut(true);
            if (old != null) {
                old.shutdown();
            }
        }
        return pool;
    }

    /** Counts the chunks still running; the caller spins briefly, then parks, until it reaches 0. */
    private static final class Join {
        private static final long SPIN_NANOS = 50_000;
        private final AtomicInteger pending;
        private final Thread waiter = Thread.currentThread();
        volatile Throwable failure;

        Join(int pending) {
            this.pending = new AtomicInteger(pending);
        }

        void done(Throwable t) {
            if (t != null) {
                synchronized (this) {
                    if (failure == null) {
                        failure = t;
                    }
                }
            }
            if (pending.decrementAndGet() == 0) {
                LockSupport.unpark(waiter);
            }
        }

        void await() {
            // Chunks are equal, so the others usually finish within microseconds of ours: spinning
            // that long is cheaper than a park/unpark round trip.
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (pending.get() > 0 && System.nanoTime() < spinUntil) {
                Thread.onSpinWait();
            }
            boolean interrupted = false;
            while (pending.get() > 0) {
                LockSupport.park(this);
                if (Thread.interrupted()) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static final class Chunk implements Runnable {
        private final Join join;
        private final RangeBody body;
        private final int from;
        private final int to;

        Chunk(Join join, RangeBody body, int from, int to) {
            this.join = join;
            this.body = body;
            this.from = from;
            this.to = to;
        }

        @Override
        public void run() {
            Throwable failure = null;
            try {
                body.run(from, to);
            } catch (Throwable t) {
                failure = t;
            }
            join.done(failure);
        }
    }
}
