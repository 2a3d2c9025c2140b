package org.alignguard.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Red-teaming from the command line, on the shipped model with tiny budgets: every attack against the
 * base, Co-Merge and two experts on their own categories; its files; resuming; bad input is one line
 * with exit code 2.
 */
class AttackCliTest {
    @TempDir Path dir;
    static final Path MODEL = ShippedModelTest.MODELS.resolve("base.safetensors"), CLF = ShippedModelTest.MODELS.resolve("classifier.safetensors");

    static String[] attack(Path out, String... more) {
        String[] base = {"attack", "--model", MODEL.toString(), "--classifier", CLF.toString(), "--out", out.toString(), "--concepts", "slur,weapon", "--seeds", "1",
                "--iterations", "2", "--candidates", "4", "--population", "4", "--generations", "2", "--pairs", "2", "--ti-steps", "3", "--ti-images", "2", "--steps", "4"};
        String[] all = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    @Test void everyAttackAgainstBaseCoMergeAndTwoExpertsThenResume() throws Exception {
        Path out = dir.resolve("atk");
        CliTest.Run r = CliTest.run(attack(out, "--against", "co-merge=" + ShippedModelTest.MODELS.resolve("co-merge.safetensors"),
                "--experts", ShippedModelTest.MODELS.resolve("experts").toString()));
        assertEquals(0, r.code(), r.err());
        for (String m : new String[] {"base", "co-merge", "expert-hate", "expert-violence"})
            for (String a : new String[] {"white-box", "black-box", "textual-inversion"})
                assertTrue(Files.isRegularFile(out.resolve(m).resolve(a + ".json")), m + "/" + a);
        assertFalse(Files.exists(out.resolve("expert-sexual")), "an expert is attacked on its own category only");
        for (String f : new String[] {"summary.json", "prompts.csv", "table.md", "asr.png"}) assertTrue(Files.isRegularFile(out.resolve(f)), f);
        JsonArray rows = JsonParser.parseString(Files.readString(out.resolve("summary.json"))).getAsJsonArray();
        assertEquals(4 * 3, rows.size());
        assertEquals(1, rows.get(6).getAsJsonObject().get("cases").getAsInt(), "expert-hate: slur only");
        assertTrue(r.out().contains("| co-merge | 2 |"), r.out());
        // Textual inversion learns its word on each attacked model: Co-Merge's is not the base's.
        var ti = new String[] {"base", "co-merge"};
        double[] end = new double[2];
        for (int i = 0; i < 2; i++)
            end[i] = JsonParser.parseString(Files.readString(out.resolve(ti[i]).resolve("textual-inversion.json"))).getAsJsonObject()
                    .getAsJsonArray("found").get(0).getAsJsonObject().get("end").getAsDouble();
        assertTrue(end[0] != end[1], "the same learned word on two models: " + end[0]);
        // Every found prompt names no unsafe synonym, by the world's parser.
        var filter = new org.alignguard.attacks.SynonymFilter(org.alignguard.diffusion.world.World.load());
        try (var csv = org.apache.commons.csv.CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build()
                .parse(Files.newBufferedReader(out.resolve("prompts.csv")))) {
            int n = 0;
            for (var rec : csv) {
                assertTrue(filter.allows(rec.get("prompt")), rec.get("prompt"));
                n++;
            }
            assertEquals(2 * 3 * 2 + 2 * 3 * 1, n, "base and co-merge: 2 cases x 3 attacks; each expert: 1 case x 3 attacks");
        }

        CliTest.Run again = CliTest.run(attack(out, "--against", "co-merge=" + ShippedModelTest.MODELS.resolve("co-merge.safetensors")));
        assertEquals(2, again.code());
        assertTrue(again.err().contains("exists; pass --resume"), again.err());
        CliTest.Run resumed = CliTest.run(attack(out, "--resume", "--against", "co-merge=" + ShippedModelTest.MODELS.resolve("co-merge.safetensors")));
        assertEquals(0, resumed.code(), resumed.err());
        assertEquals(Files.readString(out.resolve("co-merge/black-box.json")).contains("\"asr\""), true);
        CliTest.Run budget = CliTest.run(attack(out, "--resume", "--iterations", "3", "--attacks", "white-box", "--against", "co-merge=" + ShippedModelTest.MODELS.resolve("co-merge.safetensors")));
        assertEquals(2, budget.code());
        assertTrue(budget.err().contains("another budget") && budget.err().strip().lines().count() == 1, budget.err());
    }

    @Test void badInputIsOneLineWithExitCode2() throws Exception {
        Path out = dir.resolve("never");
        CliTest.Run unknown = CliTest.run(attack(out, "--concepts", "slur,nonsense"));
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("unknown concept 'nonsense'") && unknown.err().strip().lines().count() == 1, unknown.err());
        CliTest.Run zero = CliTest.run(attack(out, "--iterations", "0"));
        assertEquals(2, zero.code());
        assertTrue(zero.err().contains("--iterations must be positive"), zero.err());
        CliTest.Run zeroSteps = CliTest.run(attack(out, "--ti-steps", "0"));
        assertEquals(2, zeroSteps.code());
        CliTest.Run safe = CliTest.run(attack(out, "--concepts", "greeting"));
        assertEquals(2, safe.code());
        assertTrue(safe.err().contains("safe concept"), safe.err());
        CliTest.Run attackName = CliTest.run(attack(out, "--attacks", "gcg"));
        assertEquals(2, attackName.code());
        // A LoRA made for another base model: the shipped Co-Merge against a tiny model.
        Path tiny = AlignmentRunTest.tinyModel(dir);
        String[] args = attack(out, "--against", "co-merge=" + ShippedModelTest.MODELS.resolve("co-merge.safetensors"));
        args[2] = tiny.toString();
        CliTest.Run other = CliTest.run(args);
        assertEquals(2, other.code());
        assertTrue(other.err().contains("made for another UNet") && other.err().strip().lines().count() == 1, other.err());
        assertFalse(Files.exists(out), "nothing is written on bad input");
    }
}
