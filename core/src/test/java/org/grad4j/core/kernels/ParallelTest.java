package org.grad4j.core.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ParallelTest {
    private final int savedThreads = Kernels.threads();

    @AfterEach
    void restoreThreads() {
        Kernels.setThreads(savedThreads);
    }

    /** The chunks forRange hands out, sorted. */
    private static List<String> chunks(int n) {
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        Parallel.forRange(n, (from, to) -> seen.add(from + ".." + to));
        List<String> sorted = new ArrayList<>(seen);
        sorted.sort((x, y) -> Integer.compare(Integer.parseInt(x.split("\\.")[0]), Integer.parseInt(y.split("\\.")[0])));
        return sorted;
    }

    @Test
    void staticPartitionCoversTheRangeInContiguousChunks() {
        Kernels.setThreads(3);
        assertEquals(List.of("0..3", "3..6", "6..10"), chunks(10));
        assertEquals(List.of("0..1", "1..2"), chunks(2));
        assertEquals(List.of(), chunks(0));
        assertEquals(3, Parallel.parts(100));
        assertEquals(2, Parallel.parts(2));
        assertEquals(0, Parallel.parts(-1));
        Kernels.setThreads(1);
        assertEquals(List.of("0..10"), chunks(10));
    }

    @Test
    void chunksRunOnDifferentThreadsAndTheCallerTakesTheFirst() {
        Kernels.setThreads(2);
        Set<Thread> threads = ConcurrentHashMap.newKeySet();
        Thread[] first = new Thread[1];
        Parallel.forRange(2, (from, to) -> {
            threads.add(Thread.currentThread());
            if (from == 0) {
                first[0] = Thread.currentThread();
            }
        });
        assertEquals(2, threads.size());
        assertSame(Thread.currentThread(), first[0]);
    }

    @Test
    void nestedCallsRunInlineWithTheSamePartition() {
        Kernels.setThreads(2);
        List<String> inner = Collections.synchronizedList(new ArrayList<>());
        Parallel.forRange(2, (from, to) -> {
            Thread outer = Thread.currentThread();
            Parallel.forRange(5, (f, t) -> {
                assertSame(outer, Thread.currentThread());
                inner.add(f + ".." + t);
            });
        });
        Collections.sort(inner);
        assertEquals(List.of("0..2", "0..2", "2..5", "2..5"), inner);
    }

    @Test
    void theFirstExceptionIsRethrownAfterEveryChunkFinished() {
        Kernels.setThreads(4);
        AtomicInteger finished = new AtomicInteger();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Parallel.forRange(4, (from, to) -> {
            if (from == 2) {
                throw new IllegalStateException("chunk " + from);
            }
            finished.incrementAndGet();
        }));
        assertEquals("chunk 2", e.getMessage());
        assertEquals(3, finished.get());
        // The pool survives a failed chunk.
        assertEquals(List.of("0..1", "1..2", "2..3", "3..4"), chunks(4));
    }

    @Test
    void changingTheThreadCountReplacesThePool() {
        for (int t : new int[] {2, 1, 5, 2}) {
            Kernels.setThreads(t);
            Set<Thread> threads = ConcurrentHashMap.newKeySet();
            Parallel.forRange(t, (from, to) -> threads.add(Thread.currentThread()));
            assertEquals(t, threads.size());
            for (Thread thread : threads) {
                assertTrue(thread == Thread.currentThread() || thread.isDaemon(), thread.getName());
            }
        }
    }

    @Test
    void startSplitsEvenly() {
        assertEquals(0, Parallel.start(10, 3, 0));
        assertEquals(3, Parallel.start(10, 3, 1));
        assertEquals(6, Parallel.start(10, 3, 2));
        assertEquals(10, Parallel.start(10, 3, 3));
        assertEquals(Integer.MAX_VALUE, Parallel.start(Integer.MAX_VALUE, 7, 7));
    }
}
