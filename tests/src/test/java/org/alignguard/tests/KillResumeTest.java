package org.alignguard.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.alignguard.diffusion.pipeline.Generator;
import org.alignguard.diffusion.train.ProgressListener;
import org.alignguard.dpo.DpoConfig;
import org.alignguard.pipeline.MainJob;
import org.alignguard.pipeline.RunConfig;
import org.alignguard.tensor.Tensor;
import org.alignguard.tensor.io.Safetensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 during {@code run}, then resume, gives the same tensors as a run that was never stopped. A
 * tiny main job (the setup of {@link AlignmentRunTest}) runs in a child JVM, which is killed with
 * SIGKILL three times: while the first expert trains (right after its first checkpoint), once four
 * experts are done, and once the merges have begun; each time it is started again on the same
 * folder, as {@code run --resume} does. The preference data, every expert and every merge then match
 * an uninterrupted run bit for bit.
 */
class KillResumeTest {
    @TempDir Path dir;

    /** The child JVM: the main job on the tiny model, continuing whatever is in the run folder. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            Generator.Settings fast = new Generator.Settings(2, 3f, Generator.Sampler.DDIM);
            // 6 steps per expert with a checkpoint every 2, so a kill lands between checkpoints; 2 pairs per category.
            DpoConfig dpo = new DpoConfig(500f, 2e-2f, 0, 6, 4, 1f, 0f, 2, 0f, 1, 2, 0);
            RunConfig rc = new RunConfig(Path.of(args[0]), Path.of(args[1]), Path.of(args[2]), 2, fast, dpo, 1, 2, fast, 1, 0, false, 0, List.of(), false);
            new MainJob(rc, ProgressListener.NONE).run(Map.of("command", "kill-resume test"));
        }
    }

    @Test
    void killedThreeTimesAndResumedGivesTheSameTensors() throws Exception {
        Path model = AlignmentRunTest.tinyModel(dir).toAbsolutePath();
        Path clf = ShippedModelTest.MODELS.resolve("classifier.safetensors").toAbsolutePath();
        Path once = dir.resolve("once"), killed = dir.resolve("killed");

        assertEquals(0, finish(start(once, model, clf)), "the uninterrupted run");

        Path experts = killed.resolve("experts"), merged = killed.resolve("merged");
        List<Predicate<Path>> killPoints = List.of(
                run -> count(experts, ".state.safetensors") > 0,                  // the first expert's first checkpoint
                run -> count(experts, ".safetensors") - count(experts, ".state.safetensors") >= 4,
                run -> count(merged, ".safetensors") > 0);
        for (Predicate<Path> point : killPoints) {
            Process p = start(killed, model, clf);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
            while (!point.test(killed)) {
                assertTrue(p.isAlive(), "the child stopped before the kill point: " + log(killed));
                assertTrue(System.nanoTime() < deadline, "no progress in 300 s: " + log(killed));
                Thread.sleep(20);
            }
            p.destroyForcibly();   // SIGKILL on Unix
            assertEquals(137, finish(p), "killed by SIGKILL (128 + 9)");
        }
        assertEquals(0, finish(start(killed, model, clf)), "the resumed run finishes: " + log(killed));

        List<Path> files = tensorFiles(once);
        assertEquals(1 + 8 + 6, files.size(), "data, 7 experts and All-single, 6 merges: " + files);
        assertEquals(files, tensorFiles(killed));
        for (Path f : files) {
            Map<String, Tensor> a = Safetensors.read(once.resolve(f)).tensors(), b = Safetensors.read(killed.resolve(f)).tensors();
            assertEquals(a.keySet(), b.keySet(), f.toString());
            a.forEach((k, t) -> assertArrayEquals(t.toArray(), b.get(k).toArray(), f + ": " + k));
        }
        assertEquals(Files.readString(once.resolve("data/pairs.csv")), Files.readString(killed.resolve("data/pairs.csv")));
    }

    /** A child JVM running {@link Child} on {@code out}; its output goes to out/child.log. */
    static Process start(Path out, Path model, Path clf) throws IOException {
        Files.createDirectories(out);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xss8m",
                "-cp", System.getProperty("java.class.path"), Child.class.getName(), out.toString(), model.toString(), clf.toString()));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(out.resolve("child.log").toFile())).start();
    }

    /** Waits (at most 5 minutes, then kills it) for the child's exit code. */
    static int finish(Process p) throws InterruptedException {
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("the child ran past 300 s");
        }
        return p.exitValue();
    }

    static long count(Path dir, String suffix) {
        if (!Files.isDirectory(dir)) return 0;
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(suffix)).count();
        } catch (IOException e) {
            return 0;   // a file renamed while listing: look again
        }
    }

    /** The run's data, expert and merge files, relative to the run folder, sorted. */
    static List<Path> tensorFiles(Path run) throws IOException {
        List<Path> out = new ArrayList<>();
        for (String sub : List.of("data", "experts", "merged"))
            try (Stream<Path> s = Files.list(run.resolve(sub))) {
                s.filter(p -> p.toString().endsWith(".safetensors") && !p.toString().endsWith(".state.safetensors")).forEach(p -> out.add(run.relativize(p)));
            }
        out.sort(null);
        return out;
    }

    static String log(Path run) {
        try {
            String s = Files.readString(run.resolve("child.log"));
            return s.length() > 2000 ? s.substring(s.length() - 2000) : s;
        } catch (IOException e) {
            return "(no log)";
        }
    }
}
