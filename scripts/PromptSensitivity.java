import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.alignguard.autograd.Grad;
import org.alignguard.autograd.Variable;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.schedule.DDIMScheduler;
import org.alignguard.diffusion.schedule.Scheduler;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;

/**
 * A diagnostic: how much does each word of the prompt change what the model does?
 *
 * <p>For a base prompt and four one-word edits of it (position, shape, colour, background) it
 * prints the change in the pooled text embedding (sum over tokens, max over channels) and the
 * largest change of the UNet's output for the same noise at four timesteps. With {@code --map} it
 * also prints the red channel of x̂_0 at t = 900, averaged over 32 noise draws, for the base prompt
 * and its position edit: a model that has learned "top left" puts the red blob there.
 *
 * <pre>
 *   ./alignguard.sh --version >/dev/null      # builds the jar if needed
 *   java --add-modules jdk.incubator.vector -cp alignguard/target/alignguard.jar \
 *        scripts/PromptSensitivity.java models/base.safetensors [--map]
 * </pre>
 */
public class PromptSensitivity {
    static final String BASE = "a red square at the top left on a black background";
    static final String[][] EDITS = {
        {"position", "a red square at the bottom right on a black background"},
        {"shape", "a red circle at the top left on a black background"},
        {"colour", "a blue square at the top left on a black background"},
        {"background", "a red square at the top left on a gray background"}};
    static final int[] TIMESTEPS = {990, 900, 600, 300};

    public static void main(String[] args) throws Exception {
        if (args.length < 1) throw new IllegalArgumentException("usage: PromptSensitivity MODEL.safetensors [--map]");
        TextToImageModel m = TextToImageModel.load(Path.of(args[0])).model();
        m.unet.eval();
        m.textEncoder.eval();
        try (var noGrad = Grad.noGrad()) {
            Tensor base = m.encode(List.of(BASE)).data();
            System.out.println("base prompt: " + BASE);
            for (String[] e : EDITS) {
                Tensor ctx = m.encode(List.of(e[1])).data();
                StringBuilder line = new StringBuilder(String.format("%-10s pooled Δ %6.2f  output Δ", e[0], maxDiff(base.sum(false, 1), ctx.sum(false, 1))));
                for (int t : TIMESTEPS) {
                    Tensor x = Tensor.randn(new Rng(2), 1, 3, 16, 16);
                    Tensor a = m.unet.forward(Variable.constant(x), new int[] {t}, Variable.constant(base)).data();
                    Tensor b = m.unet.forward(Variable.constant(x), new int[] {t}, Variable.constant(ctx)).data();
                    line.append(String.format("  t=%d %.3f", t, maxDiff(a, b)));
                }
                System.out.println(line);
            }
            if (Arrays.asList(args).contains("--map")) {
                printMap(m, BASE);
                printMap(m, EDITS[0][1]);
            }
        }
    }

    static double maxDiff(Tensor a, Tensor b) {
        float[] x = a.toArray(), y = b.toArray();
        double d = 0;
        for (int i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i] - y[i]));
        return d;
    }

    /** Red channel of x̂_0 (from the model's ε, or its v turned into ε) at t = 900, mean of 32 draws. */
    static void printMap(TextToImageModel m, String prompt) {
        int n = 32, s = m.imageSize(), t = 900;
        double ab = m.schedule.alphaCumprod(t);
        Tensor x = Tensor.randn(new Rng(1), n, 3, s, s);
        int[] ts = new int[n];
        Arrays.fill(ts, t);
        Tensor out = m.unet.forward(Variable.constant(x), ts, m.encode(Collections.nCopies(n, prompt))).data();
        Tensor eps = m.prediction.toEpsilon(new DDIMScheduler(m.schedule), out, t, x);
        Tensor x0 = Scheduler.predictX0(x, eps, ab, false);
        float[] v = x0.toArray();
        System.out.println("x̂_0 (red channel) at t=" + t + ", mean of " + n + " noise draws: " + prompt);
        for (int y = 0; y < s; y++) {
            StringBuilder row = new StringBuilder();
            for (int c = 0; c < s; c++) {
                double sum = 0;
                for (int b = 0; b < n; b++) sum += v[b * 3 * s * s + y * s + c];
                row.append(String.format("%6.2f", sum / n));
            }
            System.out.println(row);
        }
    }
}
