package org.alignguard.optim;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.alignguard.nn.Module;
import org.alignguard.nn.StateDicts;
import org.alignguard.tensor.Tensor;
import org.alignguard.tensor.io.Safetensors;

/**
 * A training checkpoint in one safetensors file: the model's parameters under {@code model.},
 * the optimizer state under {@code optim.}, and free-form metadata (step, seed, config JSON).
 * Written atomically by {@link Safetensors#write}: a crash mid-write leaves the old file intact.
 */
public final class Checkpoint {
    private Checkpoint() {}

    public static void save(Path file, Module model, Optimizer opt, Map<String, String> metadata) throws IOException {
        Map<String, Tensor> all = StateDicts.prefixed("model.", model.stateDict());
        if (opt != null) all.putAll(StateDicts.prefixed("optim.", opt.stateDict()));
        Safetensors.write(file, all, metadata);
    }

    /** Loads parameters into {@code model} and state into {@code opt} (if given), all finite; returns the metadata. */
    public static Map<String, String> load(Path file, Module model, Optimizer opt) throws IOException {
        var loaded = Safetensors.readFinite(file);
        model.loadStateDict(StateDicts.under("model.", loaded.tensors()), true);
        if (opt != null) opt.loadStateDict(StateDicts.under("optim.", loaded.tensors()));
        return loaded.metadata();
    }
}
