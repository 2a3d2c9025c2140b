package org.alignguard.attacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collections;
import java.util.Map;
import org.alignguard.TinyModels;
import org.alignguard.autograd.Grad;
import org.alignguard.autograd.Variable;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.world.World;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The white-box attack's gradient with respect to one-hot token inputs, against finite differences. */
class OneHotGradientTest {
    @Test void gradientThroughOneHotInputsMatchesFiniteDifferences() {
        TextToImageModel m = TinyModels.model(11);
        AttackCase c = AttackCase.of(World.load(), World.load().unsafeConcepts().get(0), 3);
        Tensor x0 = Tensor.randn(new Rng(1), 2, 3, 16, 16).mul(0.5f);
        DenoisingObjective.Draw d = DenoisingObjective.draw(m, x0, new Rng(2), 2);
        WhiteBoxAttack attack = new WhiteBoxAttack(new WhiteBoxAttack.Settings(3, 1, 4, 4, 2), World.load(), m.tokenizer);
        int[] z = {m.tokenizer.id("circle"), m.tokenizer.id("red"), m.tokenizer.id("left")};
        String prompt = WhiteBoxAttack.prompt(m.tokenizer, z, c);
        float[][] analytic;
        try (var frozen = new FrozenWeights(m)) {
            analytic = attack.oneHotGradient(m, d, prompt, WhiteBoxAttack.embeddingTable(m));
        }
        int dim = m.textEncoder.config.dim(), len = m.textEncoder.config.maxLen();
        float[] table = m.textEncoder.token_embedding.weight.data().contiguous().toArray();
        Rng pick = new Rng(5);
        int checked = 0;
        for (int trial = 0; trial < 8; trial++) {
            int k = pick.nextInt(z.length), v = m.tokenizer.id(new String[] {"square", "blue", "top", "heart", "green", "disc"}[pick.nextInt(6)]);
            // ∂L/∂(one-hot_k)_v: move e_k by ±h·E_v, as raising the one-hot entry of v by ±h does.
            double h = 1e-2, plus = lossWith(m, d, prompt, k, table, v, dim, len, h), minus = lossWith(m, d, prompt, k, table, v, dim, len, -h);
            double numeric = (plus - minus) / (2 * h);
            assertEquals(numeric, analytic[k][v], 2e-2 * Math.abs(numeric) + 2e-5, "position " + k + ", word " + m.tokenizer.token(v));
            checked++;
        }
        assertEquals(8, checked);
        // Words not allowed (an unsafe synonym) never get a finite score.
        assertTrue(Float.isInfinite(analytic[0][m.tokenizer.id("slur")]));
    }

    private static double lossWith(TextToImageModel m, DenoisingObjective.Draw d, String prompt, int k, float[] table, int v, int dim, int len, double h) {
        try (var scope = Grad.noGrad()) {
            int rows = d.rows();
            float[] e = m.tokenEmbeddings(Collections.nCopies(rows, prompt), Map.of()).data().contiguous().toArray();
            for (int r = 0; r < rows; r++)
                for (int j = 0; j < dim; j++) e[(r * len + k + 1) * dim + j] += (float) (h * table[v * dim + j]);
            Variable context = m.textEncoder.forwardEmbedded(Variable.constant(Tensor.of(e, rows, len, dim)));
            return DenoisingObjective.loss(m, d, context).data().item();   // every row moves at once: the gradient is the sum over rows
        }
    }
}
