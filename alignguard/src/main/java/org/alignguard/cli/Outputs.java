package org.alignguard.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the shipped models live, and the no-overwrite rule for outputs. */
final class Outputs {
    private Outputs() {}

    /** The repository root: set by the launcher as ALIGNGUARD_HOME, else the working directory. */
    static Path home() {
        String h = System.getenv("ALIGNGUARD_HOME");
        return Path.of(h == null || h.isBlank() ? "." : h);
    }

    static Path defaultModel() { return home().resolve("models/base.safetensors"); }

    static Path defaultClassifier() { return home().resolve("models/classifier.safetensors"); }

    /** Refuses to replace an existing file unless --force was given (exit code 2). */
    static void checkWritable(Path out, boolean force) {
        if (Files.exists(out) && !force) throw new UserError("output " + out + " exists; pass --force to overwrite it");
        if (Files.isDirectory(out)) throw new UserError("output " + out + " is a directory");
    }

    static void checkReadable(Path in, String what) {
        if (!Files.isRegularFile(in)) throw new UserError("no " + what + " at " + in);
    }

    static void positive(String name, long v) {
        if (v <= 0) throw new UserError(name + " must be positive, got " + v);
    }

    /** Rejects NaN and infinity (picocli parses "NaN" and "Infinity" as floats). */
    static void finite(String name, double v) {
        if (!Double.isFinite(v)) throw new UserError(name + " must be a finite number, got " + v);
    }

    static void positiveNumber(String name, double v) {
        finite(name, v);
        if (v <= 0) throw new UserError(name + " must be positive, got " + v);
    }

    /** The command line as typed, for the metadata of what a command writes. */
    static String command(picocli.CommandLine.Model.CommandSpec spec) {
        return "alignguard " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
    }

    /** The text-to-image model at {@code p} (the shipped one when null); a missing or bad file is a user error. */
    static org.alignguard.diffusion.pipeline.TextToImageModel model(Path p, String what) {
        Path path = p == null ? defaultModel() : p;
        checkReadable(path, what);
        try {
            return org.alignguard.diffusion.pipeline.TextToImageModel.load(path).model();
        } catch (java.io.IOException e) {
            throw new UserError(e.getMessage(), 2, e);
        }
    }

    static org.alignguard.diffusion.classifier.SceneClassifier classifier(Path p, org.alignguard.diffusion.world.World world) {
        Path path = p == null ? defaultClassifier() : p;
        checkReadable(path, "classifier checkpoint");
        try {
            return org.alignguard.diffusion.train.ClassifierTrainer.load(path, world);
        } catch (java.io.IOException e) {
            throw new UserError(e.getMessage(), 2, e);
        }
    }
}
