package org.alignguard.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.alignguard.merge.CoMerge;
import org.alignguard.merge.Expert;
import org.alignguard.merge.ExpertMerger;
import org.alignguard.merge.Merges;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The playground's merges are the merge room's merges of the scaled experts, computed once per mix. */
class MergeCacheTest {
    static final List<String> PATHS = List.of("down.1.attn.0.block.attn1.to_q", "down.1.attn.0.block.attn1.to_k", "mid.attn.0.block.attn2.to_v");

    static Expert expert(String name, long seed) {
        Rng rng = new Rng(seed);
        Map<String, Tensor> d = new LinkedHashMap<>();
        for (String p : PATHS) d.put(p, Tensor.randn(rng, 4, 3));
        return new Expert(name, d);
    }

    final List<Expert> experts = List.of(expert("hate", 1), expert("violence", 2), expert("sexual", 3));
    /** Activations of our own choosing: "violence" is the most active everywhere in the attn1 block. */
    final List<CoMerge.Activation> acts = List.of(activation("hate", 1f, 1f), activation("violence", 5f, 0.5f), activation("sexual", 1f, 2f));
    final AtomicInteger measured = new AtomicInteger();
    final MergeCache cache = new MergeCache(experts, () -> {
        measured.incrementAndGet();
        return acts;
    });

    static CoMerge.Activation activation(String name, float attn1, float attn2) {
        Map<String, float[]> per = new LinkedHashMap<>();
        for (String p : PATHS) {
            float[] a = new float[12];
            for (int i = 0; i < a.length; i++) a[i] = (p.contains("attn1") ? attn1 : attn2) * (1 + 0.01f * i);
            per.put(p, a);
        }
        return new CoMerge.Activation(name, per);
    }

    static void same(Map<String, Tensor> expected, Map<String, Tensor> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        for (String p : expected.keySet()) assertArrayEquals(expected.get(p).toArray(), actual.get(p).toArray(), 1e-6f, p);
    }

    @Test
    void coMergeAtScaleOneIsCoMergeOfTheSwitchedOnExperts() {
        MergeCache.Merged m = cache.get(Mix.of("co-merge", 3, Map.of("hate", 1f, "violence", 1f)));
        same(CoMerge.merge(List.of(experts.get(0), experts.get(1)), List.of(acts.get(0), acts.get(1)), 3).deltas(), m.deltas());
        MergeCache.LayerWinners attn1 = m.winners().get(0);
        assertEquals("down.1.attn.0.block.attn1", attn1.layer());
        assertEquals("violence", attn1.winner());
        assertEquals(1.0, attn1.shares().get("violence"), 1e-12, "violence is the most active at every weight of attn1");
        MergeCache.LayerWinners attn2 = m.winners().get(1);
        assertEquals("mid.attn.0.block.attn2", attn2.layer());
        assertEquals("hate", attn2.winner());
        assertEquals(2, m.winners().size(), "one row per attention block, its projections together");
    }

    @Test
    void aScaledExpertCountsItsScaledUpdateAndActivation() {
        MergeCache.Merged m = cache.get(Mix.of("co-merge", 2, Map.of("hate", 1f, "sexual", -2f)));
        Expert scaled = new Expert("sexual", Merges.scaled(experts.get(2).deltas(), -2f));
        CoMerge.Activation twice = activation("sexual", 2f, 4f);
        CoMerge.Result expected = CoMerge.merge(List.of(experts.get(0), scaled), List.of(acts.get(0), twice), 2);
        same(expected.deltas(), m.deltas());
        assertEquals("sexual", m.winners().get(1).winner(), "at scale -2, sexual's |s|·a = 4 beats hate's 1 in attn2");
    }

    @Test
    void sumAverageAndTiesAreTheMergeRoomsMerges() {
        Map<String, Float> scales = Map.of("hate", 0.5f, "violence", 1f, "sexual", 1.5f);
        // Mix keeps its experts sorted by name: hate, sexual, violence.
        List<Expert> scaled = List.of(new Expert("hate", Merges.scaled(experts.get(0).deltas(), 0.5f)), new Expert("sexual", Merges.scaled(experts.get(2).deltas(), 1.5f)), experts.get(1));
        same(Merges.sum(scaled), cache.get(Mix.of("sum", 0, scales)).deltas());
        same(Merges.average(scaled), cache.get(Mix.of("average", 0, scales)).deltas());
        same(Merges.ties(scaled, ExpertMerger.TIES_DENSITY, ExpertMerger.TIES_LAMBDA), cache.get(Mix.of("ties", 0, scales)).deltas());
        assertEquals(0, measured.get(), "only Co-Merge needs the activations");
        assertEquals(List.of(), cache.get(Mix.of("sum", 0, scales)).winners());
    }

    @Test
    void aMergeThatFailsWithAnErrorLeavesNoUnfinishedEntryBehind() {
        AtomicInteger calls = new AtomicInteger();
        MergeCache failingOnce = new MergeCache(experts, () -> {
            if (calls.incrementAndGet() == 1) throw new StackOverflowError("merging ran out of stack");   // an Error, not an exception
            return acts;
        });
        Mix mix = Mix.of("co-merge", 3, Map.of("hate", 1f, "violence", 1f));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> failingOnce.get(mix));
        assertTrue(e.getMessage().contains("merging ran out of stack"), e.getMessage());
        // Before the fix the failed entry stayed in the cache unfinished, and this waited for ever.
        MergeCache.Merged m = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> failingOnce.get(mix), "the next request merges again");
        same(cache.get(mix).deltas(), m.deltas());
        assertEquals(2, calls.get());
    }

    @Test
    void aMixIsMergedOnceAndGammaOnlyCountsForCoMerge() throws Exception {
        Mix mix = Mix.of("co-merge", 3, Map.of("hate", 1f, "violence", 0.5f));
        Thread[] askers = new Thread[4];
        MergeCache.Merged[] got = new MergeCache.Merged[askers.length];
        for (int i = 0; i < askers.length; i++) {
            int k = i;
            askers[i] = new Thread(() -> got[k] = cache.get(mix));
            askers[i].start();
        }
        for (Thread t : askers) t.join();
        for (MergeCache.Merged m : got) assertSame(got[0], m, "four requests for one new mix share one merge");
        assertEquals(1, measured.get());
        assertSame(got[0], cache.get(Mix.of("co-merge", 3, Map.of("violence", 0.5f, "hate", 1f))), "the order of the switches does not matter");
        assertSame(cache.get(Mix.of("sum", 0, Map.of("hate", 1f))), cache.get(Mix.of("sum", 7, Map.of("hate", 1f))), "γ is no part of a sum");
    }
}
