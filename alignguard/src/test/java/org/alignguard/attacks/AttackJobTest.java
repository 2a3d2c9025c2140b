package org.alignguard.attacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.alignguard.TinyModels;
import org.alignguard.diffusion.classifier.SceneClassifier;
import org.alignguard.diffusion.pipeline.Generator;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.train.ClassifierTrainer;
import org.alignguard.diffusion.train.ProgressListener;
import org.alignguard.diffusion.world.World;
import org.alignguard.eval.Sampling;
import org.alignguard.eval.Variant;
import org.alignguard.tensor.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The red-teaming job on a tiny model: its files, resuming after a stop, refusals, and a changed budget. */
class AttackJobTest {
    static final World WORLD = World.load();
    @TempDir Path dir;

    /** The black-box attack, counting the cases it really searches. */
    static final class Counting implements Attack {
        final Attack inner;
        final AtomicInteger runs = new AtomicInteger();

        Counting(Attack inner) { this.inner = inner; }

        @Override public String name() { return inner.name(); }

        @Override public Map<String, Object> budget() { return inner.budget(); }

        @Override public Found run(TextToImageModel model, AttackCase c, Targets targets, ProgressListener progress) {
            runs.incrementAndGet();
            return inner.run(model, c, targets, progress);
        }
    }

    /** A guard that refuses every prompt: nothing is drawn, so nothing unsafe is seen. It changes no weight. */
    static final Variant REFUSE_ALL = new Variant() {
        @Override public String name() { return "refuse-all"; }

        @Override public Applied applyTo(TextToImageModel model) {
            return new Applied() {
                @Override public Sampling sampling() { return Sampling.PLAIN.withFilter(p -> true, "blocklist"); }

                @Override public void remove() { }
            };
        }

        @Override public double trainSeconds() { return 0; }

        @Override public boolean changesWeights() { return false; }
    };

    /** Stands for a LoRA: the same weights as the base here, but declared as changing them, so it is searched. */
    static final Variant EXPERT = new Variant() {
        @Override public String name() { return "expert"; }

        @Override public Applied applyTo(TextToImageModel model) throws IOException { return Variant.BASE.applyTo(model); }

        @Override public double trainSeconds() { return 0; }
    };

    AttackJob job(TextToImageModel m) {
        return job(m, List.of(5L, 6L));
    }

    AttackJob job(TextToImageModel m, List<Long> seeds) {
        SceneClassifier clf = new SceneClassifier(16, 8, ClassifierTrainer.headSizes(WORLD), new Rng(0));
        var settings = new AttackJob.Settings(List.of(WORLD.unsafeConcepts().get(0), WORLD.unsafeConcepts().get(4)), seeds,
                new Generator.Settings(2, 3f, Generator.Sampler.DDIM), 2);
        return new AttackJob(m, clf, settings, dir, ProgressListener.NONE);
    }

    static Counting blackBox(int generations, TextToImageModel m) {
        return new Counting(new BlackBoxAttack(new BlackBoxAttack.Settings(3, 4, generations, 3f, 2, 0.3f), WORLD, m.tokenizer));
    }

    @Test void writesItsFilesResumesAndRefusesAChangedBudget() throws IOException {
        TextToImageModel m = TinyModels.model(31);
        String category = WORLD.unsafeConcepts().get(0).category();
        List<AttackJob.Target> targets = List.of(new AttackJob.Target("base", Variant.BASE), new AttackJob.Target("refuse-all", REFUSE_ALL),
                new AttackJob.Target("expert", EXPERT, List.of(category)));
        Counting bb = blackBox(2, m);
        List<AttackJob.Row> rows = job(m).run(targets, List.of(bb));
        assertEquals(4 + 0 + 2, bb.runs.get(), "2 concepts x 2 seeds for the base, none for a guard that changes no weight (the base's search is its search), the expert's own category only");
        JsonObject guard = JsonParser.parseString(Files.readString(dir.resolve("refuse-all/black-box.json"))).getAsJsonObject(),
                base = JsonParser.parseString(Files.readString(dir.resolve("base/black-box.json"))).getAsJsonObject();
        for (int i = 0; i < 4; i++)
            assertEquals(base.getAsJsonArray("found").get(i).getAsJsonObject().get("prompt"), guard.getAsJsonArray("found").get(i).getAsJsonObject().get("prompt"));
        assertEquals(3, rows.size());
        assertEquals(0.0, rows.get(1).asr(), "a refused prompt draws nothing");
        assertEquals(0.0, rows.get(1).preIp());
        assertEquals(2, rows.get(2).cases());
        for (String f : new String[] {"summary.json", "prompts.csv", "table.md", "base/black-box.json", "refuse-all/black-box.json"})
            assertTrue(Files.isRegularFile(dir.resolve(f)), f);
        assertEquals(1 + 10, Files.readAllLines(dir.resolve("prompts.csv")).size());
        JsonObject state = JsonParser.parseString(Files.readString(dir.resolve("refuse-all/black-box.json"))).getAsJsonObject();
        assertTrue(state.getAsJsonArray("found").get(0).getAsJsonObject().get("refused").getAsBoolean());

        // Resumed: nothing is searched again, and the table is the same.
        Counting again = blackBox(2, m);
        List<AttackJob.Row> resumed = job(m).run(targets, List.of(again));
        assertEquals(0, again.runs.get());
        assertEquals(rows, resumed);

        // A stop in the middle: a case missing from the file is searched, the others are not.
        Path f = dir.resolve("expert/black-box.json");
        JsonObject o = JsonParser.parseString(Files.readString(f)).getAsJsonObject();
        o.getAsJsonArray("found").remove(1);
        Files.writeString(f, o.toString());
        Counting once = blackBox(2, m);
        job(m).run(targets, List.of(once));
        assertEquals(1, once.runs.get());

        // A call over one of the two seeds scores its cases and keeps the others' findings in the file.
        Counting subset = blackBox(2, m);
        List<AttackJob.Row> one = job(m, List.of(5L)).run(targets, List.of(subset));
        assertEquals(0, subset.runs.get());
        assertEquals(2, one.get(0).cases());
        assertEquals(4, JsonParser.parseString(Files.readString(dir.resolve("base/black-box.json"))).getAsJsonObject().getAsJsonArray("found").size());
        assertEquals(2, AttackReport.collect(dir).get(0).cases(), "the summary counts the scored cases");
        Counting both = blackBox(2, m);
        assertEquals(rows.get(0), job(m).run(targets, List.of(both)).get(0));
        assertEquals(0, both.runs.get(), "nothing was lost, nothing is searched again");

        // Another budget in the same folder is refused, with the file named.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> job(m).run(targets, List.of(blackBox(3, m))));
        assertTrue(e.getMessage().contains("another budget") && e.getMessage().contains("black-box.json"), e.getMessage());
    }
}
