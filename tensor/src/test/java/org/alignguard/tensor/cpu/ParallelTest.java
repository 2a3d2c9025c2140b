package org.alignguard.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** Which threads run a loop's items: all of them, or a lane's own share. */
class ParallelTest {
    private static final int N = 64;

    /** Names of the threads that ran the items of one large loop. */
    private static Set<String> loopThreads() {
        Set<String> names = ConcurrentHashMap.newKeySet();
        boolean[] done = new boolean[N];
        Parallel.forRange(N, 1_000_000, i -> {
            names.add(Thread.currentThread().getName());
            done[i] = true;
        });
        for (boolean d : done) assertTrue(d, "every item runs");
        return names;
    }

    @Test
    void aLargeLoopUsesEveryThread() {
        assertEquals(Math.min(N, Parallel.THREADS), loopThreads().size());
    }

    @Test
    void lanesRunSideBySideOnDisjointThreads() throws Exception {
        int lanes = 2, per = Math.max(1, Parallel.THREADS / lanes);
        @SuppressWarnings("unchecked") Set<String>[] seen = new Set[lanes];
        String[] own = new String[lanes];
        CountDownLatch both = new CountDownLatch(lanes);
        Thread[] ts = new Thread[lanes];
        for (int l = 0; l < lanes; l++) {
            int lane = l;
            ts[l] = new Thread(() -> Parallel.inLane(Parallel.share(), lane, lanes, () -> {
                own[lane] = Thread.currentThread().getName();
                both.countDown();
                try {
                    both.await();   // both lanes make their loops at the same time
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                Set<String> s = ConcurrentHashMap.newKeySet();
                for (int r = 0; r < 20; r++) s.addAll(loopThreads());
                seen[lane] = s;
            }), "lane-" + l);
            ts[l].start();
        }
        for (Thread t : ts) t.join();
        for (int l = 0; l < lanes; l++) {
            assertTrue(seen[l].contains(own[l]) || per == 1, "lane " + l + " runs its own share");
            assertEquals(Math.min(per, N), seen[l].size(), "lane " + l + " uses its share of the threads: " + seen[l]);
            if (per == 1) assertEquals(Set.of(own[l]), seen[l], "with a thread per lane, each lane's loops run on the lane alone");
        }
        Set<String> overlap = ConcurrentHashMap.newKeySet();
        overlap.addAll(seen[0]);
        overlap.retainAll(seen[1]);
        assertTrue(overlap.isEmpty(), "no thread serves both lanes: " + overlap);
        // Outside the lane, this thread's loops use every thread again.
        assertEquals(Math.min(N, Parallel.THREADS), loopThreads().size());
    }

    @Test
    void aLaneOutsideItsCountIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> Parallel.inLane(Parallel.share(), 2, 2, () -> {}));
        assertFalse(Parallel.LANES < 1);
    }
}
