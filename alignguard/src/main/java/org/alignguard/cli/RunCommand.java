package org.alignguard.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * The main job on the embedded default. Until the shipped base model lands (the diffusion issue),
 * there is nothing to generate yet, and this says so plainly.
 */
@Command(name = "run", description = "Run the main job on the embedded default (generate from the shipped model).")
final class RunCommand implements Callable<Integer> {
    @Override public Integer call() {
        System.out.println("alignguard run: nothing to run yet. The base text-to-image model ships with the diffusion stage,"
                + " which is not built yet. Available now: 'alignguard bench' (kernel benchmarks) and"
                + " 'alignguard inspect FILE.safetensors'.");
        return 0;
    }
}
