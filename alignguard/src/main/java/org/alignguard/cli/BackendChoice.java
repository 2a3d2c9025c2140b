package org.alignguard.cli;

import org.alignguard.tensor.BackendUnavailableException;
import org.alignguard.tensor.Backends;
import picocli.CommandLine;

/**
 * Applies {@code --backend} (or {@code -Dalignguard.backend}) before any command runs, so that a
 * backend that cannot be had here is a one-line error with exit code 2 instead of a failure halfway
 * through a run.
 */
final class BackendChoice {
    private BackendChoice() {}

    /** Selects the backend; returns null, or the one-line reason it cannot be had. */
    static String apply(CommandLine.ParseResult parsed) {
        String name = null;
        for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand())   // the option may come after the subcommand
            if (p.hasMatchedOption("--backend")) name = p.matchedOptionValue("--backend", name);
        try {
            if (name != null) Backends.use(Backends.named(name));
            else if (System.getProperty("alignguard.backend") != null) Backends.get();
            return null;
        } catch (BackendUnavailableException e) {
            return "--backend " + (name != null ? name : System.getProperty("alignguard.backend")) + ": " + e.getMessage();
        }
    }
}
