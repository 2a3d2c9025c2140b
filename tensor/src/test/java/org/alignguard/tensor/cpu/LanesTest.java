package org.alignguard.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LanesTest {
    @Test
    void everyJobRunsOnceOnOneLaneAndGivesWhatItGivesAlone() throws IOException {
        int jobs = 9;
        Map<Integer, String> lane = new ConcurrentHashMap<>();
        float[][] got = new float[jobs][];
        List<Lanes.Job<String>> list = new ArrayList<>();
        for (int j = 0; j < jobs; j++) {
            int k = j;
            list.add(name -> {
                assertTrue(lane.putIfAbsent(k, name) == null, "job " + k + " runs once");
                got[k] = work(k);
            });
        }
        Lanes.run(List.of("a", "b"), list);
        assertEquals(jobs, lane.size());
        for (int j = 0; j < jobs; j++) assertEquals(java.util.Arrays.toString(work(j)), java.util.Arrays.toString(got[j]), "job " + j);
        if (Parallel.THREADS >= 2) assertEquals(2, new java.util.HashSet<>(lane.values()).size(), "both lanes take jobs: " + lane);
    }

    /** A loop large enough to split, and a sum in each item (never split): the same bits anywhere. */
    private static float[] work(int seed) {
        float[] out = new float[256];
        Parallel.forRange(out.length, 100_000, i -> {
            float s = 0;
            for (int t = 0; t < 2000; t++) s += (float) Math.sin(seed * 31 + i * 7 + t * 0.001);
            out[i] = s;
        });
        return out;
    }

    @Test
    void theFirstFailureStopsNewJobsAndIsThrownHere() {
        AtomicInteger ran = new AtomicInteger();
        List<Lanes.Job<String>> list = new ArrayList<>();
        list.add(l -> {
            ran.incrementAndGet();
            throw new IOException("disk full");
        });
        for (int j = 0; j < 50; j++) list.add(l -> {
            ran.incrementAndGet();
            java.util.concurrent.locks.LockSupport.parkNanos(5_000_000);
        });
        IOException e = assertThrows(IOException.class, () -> Lanes.run(List.of("a", "b"), list));
        assertEquals("disk full", e.getMessage());
        assertTrue(ran.get() < 50, "no new job after the failure: " + ran.get());
    }

    @Test
    void oneLaneRunsTheJobsHereInOrder() throws IOException {
        List<Integer> order = new ArrayList<>();
        List<Lanes.Job<String>> list = new ArrayList<>();
        for (int j = 0; j < 4; j++) {
            int k = j;
            list.add(l -> {
                assertEquals(Thread.currentThread().getName(), l);
                order.add(k);
            });
        }
        Lanes.run(List.of(Thread.currentThread().getName()), list);
        assertEquals(List.of(0, 1, 2, 3), order);
    }

    /** The job left over from whole rounds runs last, on this thread, with every thread; the others one thread each. */
    @Test
    void theLeftOverJobRunsLastHereOnEveryThread() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(Parallel.THREADS >= 2, "lanes need two threads");
        String here = Thread.currentThread().getName();
        List<String> seen = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Lanes.Job<String>> list = new ArrayList<>();
        for (int j = 0; j < 3; j++) {
            int k = j;
            list.add(l -> seen.add(k + ":" + Parallel.threadsHere() + ":" + (Thread.currentThread().getName().equals(here) ? "here" : "lane")));
        }
        Lanes.run(List.of("a", "b"), list);
        assertEquals(3, seen.size());
        int each = Math.max(1, Parallel.THREADS / 2);
        assertEquals("2:" + Parallel.THREADS + ":here", seen.get(2), "the third job runs last, here, on every thread: " + seen);
        assertTrue(seen.subList(0, 2).stream().allMatch(v -> v.contains(":" + each + ":")), "the first two run on half the threads each: " + seen);
    }

    /** Inside Lanes.alone (one lane with every thread), lanes split its threads again. */
    @Test
    void aLaneWithSeveralThreadsSplitsThemAgain() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(Parallel.THREADS >= 2, "lanes need two threads");
        java.util.Set<String> threads = java.util.concurrent.ConcurrentHashMap.newKeySet();
        int[] inside = new int[2];
        // Each job waits for the other at a barrier: they can only both pass if they run at once.
        var together = new java.util.concurrent.CyclicBarrier(2);
        Lanes.Job<Integer> job = l -> {
            threads.add(Thread.currentThread().getName() + ":" + Parallel.threadsHere());
            try {
                together.await(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IOException("the two jobs did not run side by side", e);
            }
        };
        Lanes.alone(unused -> {
            inside[0] = Parallel.threadsHere();
            Lanes.run(List.of(0, 1), List.of(job, job));
        });
        assertEquals(Parallel.THREADS, inside[0], "Lanes.alone keeps every thread");
        assertEquals(2, threads.size(), "two threads: " + threads);
        assertTrue(threads.stream().allMatch(t -> t.endsWith(":" + Math.max(1, Parallel.THREADS / 2))), "half the threads each: " + threads);
    }
}
