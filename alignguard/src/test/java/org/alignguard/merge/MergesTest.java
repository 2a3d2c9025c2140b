package org.alignguard.merge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.alignguard.TinyModels;
import org.alignguard.autograd.Variable;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.lora.LoraConfig;
import org.alignguard.lora.LoraNetwork;
import org.alignguard.nn.Linear;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Every merge rule on small hand-made experts whose answers are worked out by hand. */
class MergesTest {
    static final Expert E1 = new Expert("one", Map.of("l", Tensor.of(new float[] {1, -2, 0.5f}, 1, 3)));
    static final Expert E2 = new Expert("two", Map.of("l", Tensor.of(new float[] {3, 1, -0.5f}, 1, 3)));

    static float[] layer(Map<String, Tensor> m) {
        return m.get("l").toArray();
    }

    @Test
    void averageAndSum() {
        assertArrayEquals(new float[] {2, -0.5f, 0}, layer(Merges.average(List.of(E1, E2))));
        assertArrayEquals(new float[] {4, -1, 0}, layer(Merges.sum(List.of(E1, E2))));
    }

    /**
     * TIES with density 2/3: trim keeps (1, −2, 0) and (3, 1, 0); the elected signs are those of the
     * sums (4, −1, 0); the disjoint mean of the agreeing entries is (2, −2, 0).
     */
    @Test
    void ties() {
        assertArrayEquals(new float[] {2, -2, 0}, layer(Merges.ties(List.of(E1, E2), 2.0 / 3, 1f)));
        assertArrayEquals(new float[] {4, -4, 0}, layer(Merges.ties(List.of(E1, E2), 2.0 / 3, 2f)), "λ scales the result");
        assertArrayEquals(layer(Merges.sum(List.of(E1))), layer(Merges.ties(List.of(E1), 1.0, 1f)), "one expert, nothing trimmed: itself");
    }

    /** Co-Merge takes each entry, at full strength, from the expert most active there. */
    @Test
    void coMergePicksTheMostActiveExpertPerWeight() {
        var a1 = new CoMerge.Activation("one", Map.of("l", new float[] {5, 1, 1}));
        var a2 = new CoMerge.Activation("two", Map.of("l", new float[] {1, 2, 0.5f}));
        CoMerge.Result r = CoMerge.merge(List.of(E1, E2), List.of(a1, a2), Double.POSITIVE_INFINITY);
        assertArrayEquals(new float[] {1, 1, 0.5f}, layer(r.deltas()));
        assertArrayEquals(new int[] {0, 1, 0}, r.winner().get("l"));
        assertArrayEquals(new double[] {2.0 / 3, 1.0 / 3}, r.share(2), 1e-12);
    }

    /**
     * The soft rule, γ = 1: entry 0 is expert one's (5 vs 1): 1 + (1/5)·3 = 1.6; entry 1 expert two's
     * (2 vs 1): 1 + (1/2)·(−2) = 0; entry 2 expert one's (1 vs 0.5): 0.5 + 0.5·(−0.5) = 0.25.
     * γ = 0 is the sum.
     */
    @Test
    void softCoMergeSharesNearTiesAndGammaZeroIsTheSum() {
        var a1 = new CoMerge.Activation("one", Map.of("l", new float[] {5, 1, 1}));
        var a2 = new CoMerge.Activation("two", Map.of("l", new float[] {1, 2, 0.5f}));
        assertArrayEquals(new float[] {1.6f, 0, 0.25f}, layer(CoMerge.merge(List.of(E1, E2), List.of(a1, a2), 1).deltas()), 1e-6f);
        assertArrayEquals(layer(Merges.sum(List.of(E1, E2))), layer(CoMerge.merge(List.of(E1, E2), List.of(a1, a2), 0).deltas()), 1e-6f);
        assertThrows(IllegalArgumentException.class, () -> CoMerge.merge(List.of(E1, E2), List.of(a1, a2), -1));
    }

    @Test
    void expertsOfAnotherShapeAreRefused() {
        Expert odd = new Expert("odd", Map.of("l", Tensor.zeros(3, 1)));
        assertThrows(IllegalArgumentException.class, () -> Merges.sum(List.of(E1, odd)));
        Expert other = new Expert("other", Map.of("m", Tensor.zeros(1, 3)));
        assertThrows(IllegalArgumentException.class, () -> Merges.average(List.of(E1, other)));
        assertThrows(IllegalArgumentException.class, () -> Merges.ties(List.of(E1), 0, 1f));
    }

    /** The recorder's E|x_k| is the mean absolute input per feature: rows (1, −2) and (3, 0) give (2, 1). */
    @Test
    void inputRecorderMeasuresMeanAbsoluteInput() {
        InputRecorder r = new InputRecorder(new Linear(2, 1, false, new Rng(0)));
        r.addTo(null, Variable.constant(Tensor.of(new float[] {1, -2, 3, 0}, 2, 2)));
        assertArrayEquals(new double[] {2, 1}, r.meanAbs(), 1e-12);
    }

    /** On a real (tiny) UNet: a_e = |ΔW_e| · E|x|, so a_e / |ΔW_e| is the same down every column. */
    @Test
    void activationIsWeightMagnitudeTimesMeanInput() {
        TextToImageModel m = TinyModels.model(7);
        LoraNetwork net = LoraNetwork.attach(m.unet, LoraConfig.of(2), new Rng(1));
        Rng rng = new Rng(2);
        net.layers().values().forEach(l -> ((org.alignguard.lora.LoraLayer) l).loraB.setData(Tensor.randn(rng, ((org.alignguard.lora.LoraLayer) l).loraB.shape())));
        Expert e = new Expert("e", net.deltas());
        net.detach();
        ProbeSet probe = new ProbeSet(List.of("a red circle with gun", "a blue ring"), Tensor.randn(rng, 2, 3, 16, 16), new int[] {100, 700}, 5);
        CoMerge.Activation a = CoMerge.activation(m, e, probe);
        assertEquals(e.deltas().keySet(), a.perWeight().keySet());
        String path = "down.1.attn.0.block.attn2.to_k";
        float[] d = e.deltas().get(path).toArray(), act = a.perWeight().get(path);
        int in = e.deltas().get(path).dim(1);
        for (int k = 0; k < in; k++) {
            double ratio = act[k] / Math.abs(d[k]);
            assertTrue(ratio > 0, "E|x| > 0");
            for (int j = 1; j < e.deltas().get(path).dim(0); j++)
                assertEquals(ratio, act[j * in + k] / Math.abs(d[j * in + k]), 1e-3 * ratio, "column " + k);
        }
        assertTrue(LoraNetwork.targets(m.unet, LoraConfig.ATTENTION_TARGETS).values().stream().allMatch(l -> l.adapters().isEmpty()),
                "no recorder or expert left attached");
    }

    /**
     * The ablation of Co-Merge's statistic: with |ΔW| alone, the winner of every cross-attention
     * to_k/to_v entry is the one the activation picks (their input, the text encoding, is the same for
     * every expert), while in the self-attention layers, whose inputs each expert changes, they differ.
     */
    @Test
    void weightStatisticAgreesWithTheActivationWhereTheInputIsTheText() {
        TextToImageModel m = TinyModels.model(7);
        Rng rng = new Rng(4);
        List<Expert> experts = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            LoraNetwork net = LoraNetwork.attach(m.unet, LoraConfig.of(2), new Rng(10 + i));
            net.layers().values().forEach(l -> ((org.alignguard.lora.LoraLayer) l).loraB.setData(Tensor.randn(rng, ((org.alignguard.lora.LoraLayer) l).loraB.shape()).mul(3f)));
            experts.add(new Expert("e" + i, net.deltas()));
            net.detach();
        }
        ProbeSet probe = new ProbeSet(List.of("a red circle with gun", "a blue ring with slur"), Tensor.randn(rng, 2, 3, 16, 16), new int[] {100, 700}, 5);
        CoMerge.Result act = CoMerge.merge(experts, CoMerge.activations(m, experts, probe), Double.POSITIVE_INFINITY);
        CoMerge.Result size = CoMerge.merge(experts, CoMerge.weightActivations(experts), Double.POSITIVE_INFINITY);
        int differ = 0;
        for (String path : act.winner().keySet()) {
            boolean same = java.util.Arrays.equals(act.winner().get(path), size.winner().get(path));
            if (path.endsWith("attn2.to_k") || path.endsWith("attn2.to_v")) assertTrue(same, path);
            else if (!same) differ++;
        }
        assertTrue(differ > 0, "elsewhere the experts' own inputs change the winners");
    }
}
