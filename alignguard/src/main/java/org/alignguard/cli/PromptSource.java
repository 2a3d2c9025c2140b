package org.alignguard.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.alignguard.diffusion.world.World;
import org.alignguard.eval.EvalPrompt;
import org.alignguard.eval.PromptFiles;

/**
 * A prompts CSV named on the command line: a path to any readable file (a pipe such as
 * {@code <(...)} included), or {@code -} for standard input. Problems are user errors.
 */
final class PromptSource {
    private PromptSource() {}

    static List<EvalPrompt> read(String arg, World world) {
        try {
            if (arg.equals("-")) {
                Path tmp = Files.createTempFile("alignguard-prompts", ".csv");
                try {
                    Files.write(tmp, System.in.readAllBytes());
                    return PromptFiles.read(tmp, world, "standard input");
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
            Path p = Path.of(arg);
            if (!Files.exists(p) || Files.isDirectory(p) || !Files.isReadable(p)) throw new UserError("no readable prompts CSV at " + p);
            return PromptFiles.read(p, world, p.toString());
        } catch (IOException e) {
            throw new UserError(e.getMessage(), 2, e);
        }
    }
}
