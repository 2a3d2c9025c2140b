package org.alignguard.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import org.alignguard.tensor.io.SafetensorsException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code alignguard} command line. Each subcommand is its own class; this one only wires them
 * together and turns errors into one-line messages with a non-zero exit code (stack traces only
 * with {@code --verbose}).
 */
@Command(name = "alignguard", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, versionProvider = Main.Version.class,
        description = "AlignGuard in pure Java: safety alignment of a text-to-image diffusion model with Diffusion-DPO experts.",
        subcommands = {RunCommand.class, DataCommand.class, TrainExpertCommand.class, MergeCommand.class, BaselineCommand.class, ScalingCommand.class, AttackCommand.class, ServeCommand.class, PretrainCommand.class, GenerateCommand.class, EvaluateCommand.class, WorldCommand.class, InspectCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main {
    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT, description = "Print stack traces on errors.")
    boolean verbose;

    @Option(names = "--backend", scope = CommandLine.ScopeType.INHERIT, paramLabel = "cpu|tornado",
            description = "Tensor backend: cpu (default) or tornado (GPU through TornadoVM: needs a build with TORNADOVM_HOME set, "
                    + "and the SDK's argfile, which ./alignguard.sh adds). Same as -Dalignguard.backend=...")
    String backend;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns the exit code (tests call this instead of main). */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOverwrittenOptionsAllowed(true);   // a repeated option: the last one wins
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            boolean verbose = false;   // --verbose may come before or after the subcommand
            for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) verbose |= p.hasMatchedOption("--verbose");
            if (verbose) ex.printStackTrace(cmd.getErr());
            else cmd.getErr().println("alignguard " + cmd.getCommandName() + ": " + (outOfMemory(ex) ? OUT_OF_MEMORY : oneLine(ex)));
            return exitCode(ex);
        });
        cl.setExecutionStrategy(parsed -> {
            String err = BackendChoice.apply(parsed);
            if (err == null) return new CommandLine.RunLast().execute(parsed);
            cl.getErr().println("alignguard: " + err);
            return 2;
        });
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError e) {
            cl.getErr().println("alignguard: " + OUT_OF_MEMORY);
            return 1;
        }
    }

    /** What a full heap says: which setting to raise, and how. */
    static final String OUT_OF_MEMORY = "out of memory: the Java heap (" + (Runtime.getRuntime().maxMemory() >> 20)
            + " MiB) is too small for this job; raise it with ALIGNGUARD_HEAP (for example ALIGNGUARD_HEAP=4g ./alignguard.sh ...), or -Xmx when you run java yourself";

    /**
     * A user error's own code; 2 for a refused weights file wherever it was read (a corrupt or
     * non-finite checkpoint found by {@code run --resume} is bad input too, not a crash); else 1.
     */
    static int exitCode(Throwable ex) {
        if (ex instanceof UserError ue) return ue.exitCode;
        for (Throwable c = ex; c != null; c = c.getCause())
            if (c instanceof SafetensorsException) return 2;
        return 1;
    }

    static boolean outOfMemory(Throwable ex) {
        for (Throwable c = ex; c != null; c = c.getCause()) if (c instanceof OutOfMemoryError) return true;
        return false;
    }

    static String oneLine(Throwable ex) {
        String m = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
        return m.replace('\n', ' ');
    }

    /** The version comes from the Maven build, filtered into a resource. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = Main.class.getResourceAsStream("/alignguard-version.properties")) {
                if (in != null) p.load(in);
            }
            return new String[] {"alignguard " + p.getProperty("version", "unknown") + " (Java " + Runtime.version() + ")"};
        }
    }
}
