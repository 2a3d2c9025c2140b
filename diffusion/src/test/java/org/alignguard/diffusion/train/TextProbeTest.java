package org.alignguard.diffusion.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignguard.autograd.Variable;
import org.alignguard.diffusion.model.TextEncoder;
import org.alignguard.diffusion.model.TextEncoderConfig;
import org.alignguard.diffusion.world.CaptionGrammar;
import org.alignguard.diffusion.world.Scene;
import org.alignguard.diffusion.world.SceneLabels;
import org.alignguard.diffusion.world.SynonymPolicy;
import org.alignguard.diffusion.world.Tokenizer;
import org.alignguard.diffusion.world.World;
import org.alignguard.diffusion.world.WorldSampler;
import org.alignguard.nn.StateDicts;
import org.alignguard.optim.AdamW;
import org.alignguard.tensor.Rng;
import org.junit.jupiter.api.Test;

/** The text probe's loss trains the text encoder to tell the scene's attributes apart, position included. */
class TextProbeTest {
    @Test
    void theProbeTeachesTheEncoderTheScene() {
        World world = World.load();
        Tokenizer tok = Tokenizer.forWorld(world);
        TextEncoder enc = new TextEncoder(new TextEncoderConfig(tok.size(), 24, 16, 1, 2), new Rng(1));
        TextProbe probe = new TextProbe(world, 16, new Rng(2));
        Map<String, Variable> params = new LinkedHashMap<>(StateDicts.prefixed("enc.", enc.namedParameters()));
        params.putAll(StateDicts.prefixed("probe.", probe.namedParameters()));
        AdamW opt = new AdamW(params, 1e-2f, 0.9f, 0.999f, 1e-8f, 0f);
        WorldSampler sampler = new WorldSampler(world);
        CaptionGrammar grammar = new CaptionGrammar(world);
        Rng rng = new Rng(3);
        List<String> captions = new ArrayList<>();
        List<SceneLabels> labels = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            Scene s = sampler.sample(rng);
            captions.add(grammar.caption(s, rng, SynonymPolicy.ALL));
            labels.add(SceneLabels.of(s));
        }
        int[] ids = new int[32 * 24];
        for (int i = 0; i < 32; i++) System.arraycopy(tok.encode(captions.get(i), 24).ids(), 0, ids, i * 24, 24);
        float first = 0, last = 0;
        for (int step = 0; step < 40; step++) {
            opt.zeroGrad();
            Variable loss = probe.loss(enc.forward(ids, 32), labels);
            loss.backward();
            opt.step();
            if (step == 0) first = loss.item();
            last = loss.item();
        }
        assertTrue(last < 0.5f * first, "probe loss " + first + " -> " + last);
    }
}
