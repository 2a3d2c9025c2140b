package org.alignguard.optim;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.alignguard.nn.Module;
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
        Map<String, Tensor> all = new LinkedHashMap<>();
        model.stateDict().forEach((k, v) -> all.put("model." + k, v));
        if (opt != null) opt.stateDict().forEach((k, v) -> all.put("optim." + k, v));
        Safetensors.write(file, all, metadata);
    }

    /** Loads parameters into {@code model} and state into {@code opt} (if given); returns the metadata. */
    public static Map<String, String> load(Path file, Module model, Optimizer opt) throws IOException {
        var loaded = Safetensors.read(file);
        Map<String, Tensor> modelState = new HashMap<>(), optState = new HashMap<>();
        loaded.tensors().forEach((k, v) -> {
            if (k.startsWith("model.")) modelState.put(k.substring(6), v);
            else if (k.startsWith("optim.")) optState.put(k.substring(6), v);
        });
        model.loadStateDict(modelState, true);
        if (opt != null) opt.loadStateDict(optState);
        return loaded.metadata();
    }
}
