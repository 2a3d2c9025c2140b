package org.alignguard.diffusion.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.alignguard.autograd.Variable;
import org.alignguard.diffusion.model.TextEncoderConfig;
import org.alignguard.diffusion.model.UNetConfig;
import org.alignguard.diffusion.schedule.NoiseSchedule;
import org.alignguard.diffusion.schedule.Prediction;
import org.alignguard.diffusion.world.Tokenizer;
import org.alignguard.diffusion.world.World;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Pseudo-words (textual inversion) and the encoder from token embeddings. */
class PseudoWordTest {
    static TextToImageModel tiny() {
        Tokenizer tok = Tokenizer.forWorld(World.load());
        UNetConfig uc = new UNetConfig(16, 3, 8, new int[] {1, 2}, 1, new boolean[] {false, true}, 2, 16, 4, 0f, true, 1, true, false);
        return TextToImageModel.create(tok, new TextEncoderConfig(tok.size(), 24, 16, 1, 2), uc,
                TextToImageModel.scheduleFor(NoiseSchedule.Kind.COSINE, 1000, 0.5), Prediction.V, new Rng(3));
    }

    static float[] row(TextToImageModel m, String word) {
        int dim = m.textEncoder.config.dim(), id = m.tokenizer.id(word);
        float[] all = m.textEncoder.token_embedding.weight.data().contiguous().toArray();
        return java.util.Arrays.copyOfRange(all, id * dim, (id + 1) * dim);
    }

    @Test void aPseudoWordWithAWordsEmbeddingEncodesAsThatWord() {
        TextToImageModel m = tiny();
        float[] circle = m.encode(List.of("a red circle on the left", "slur")).data().toArray();
        m.setPseudoWords(Map.of("pseudo0", Tensor.of(row(m, "circle"), m.textEncoder.config.dim()), "pseudo1", Tensor.of(row(m, "slur"), m.textEncoder.config.dim())));
        float[] pseudo = m.encode(List.of("a red pseudo0 on the left", "pseudo1")).data().toArray();
        assertArrayEquals(circle, pseudo, 1e-5f);
        // Without them the word is unknown, and the text differs.
        m.setPseudoWords(Map.of());
        float[] unknown = m.encode(List.of("a red pseudo0 on the left", "pseudo1")).data().toArray();
        assertFalse(java.util.Arrays.equals(circle, unknown));
    }

    @Test void theEncoderFromEmbeddingsIsTheEncoderFromIds() {
        TextToImageModel m = tiny();
        List<String> p = List.of("a blue square with slur", "");
        Variable e = m.tokenEmbeddings(p, Map.of());
        assertArrayEquals(m.encode(p).data().toArray(), m.textEncoder.forwardEmbedded(e).data().toArray(), 1e-6f);
    }

    @Test void gradientsReachOnlyThePseudoWord() {
        TextToImageModel m = tiny();
        m.textEncoder.freeze();
        Variable v = Variable.param(Tensor.of(row(m, "circle"), m.textEncoder.config.dim()));
        Variable h = m.textEncoder.forwardEmbedded(m.tokenEmbeddings(List.of("a pseudo0 and a pseudo0", "no word here"), Map.of("pseudo0", v)));
        org.alignguard.autograd.Ops.square(h).sum(false).backward();
        float norm = 0;
        for (float g : v.grad().toArray()) norm += g * g;
        assertTrue(norm > 0, "the pseudo-word gets a gradient");
        assertEquals(null, m.textEncoder.token_embedding.weight.grad());
    }

    @Test void refusesAWordOfTheVocabularyAndABadShape() {
        TextToImageModel m = tiny();
        int dim = m.textEncoder.config.dim();
        assertThrows(IllegalArgumentException.class, () -> m.setPseudoWords(Map.of("circle", Tensor.zeros(dim))));
        assertThrows(IllegalArgumentException.class, () -> m.setPseudoWords(Map.of("pseudo0", Tensor.zeros(dim + 1))));
        assertThrows(IllegalArgumentException.class, () -> m.setPseudoWords(Map.of("two words", Tensor.zeros(dim))));
        assertThrows(IllegalArgumentException.class, () -> m.setPseudoWords(Map.of("pseudo0", Tensor.of(new float[dim], dim).add(Float.NaN))));
    }
}
