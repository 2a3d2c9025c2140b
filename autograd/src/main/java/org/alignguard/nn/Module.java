package org.alignguard.nn;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignguard.autograd.Variable;
import org.alignguard.tensor.Shape;
import org.alignguard.tensor.Tensor;
import org.alignguard.tensor.io.Safetensors;

/**
 * Base class of every layer and model, like {@code torch.nn.Module}.
 *
 * <p>A module owns named parameters and named child modules. Names compose with dots, so a model's
 * parameters are addressed as {@code down.1.attn.to_q.weight}: the names the state dict, the
 * checkpoints and the LoRA targets use.
 */
public abstract class Module {
    private final Map<String, Variable> params = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /** Registers a trainable parameter under {@code name} and returns it. */
    protected Variable param(String name, Tensor init) {
        checkName(name);
        Variable p = Variable.param(init);
        params.put(name, p);
        return p;
    }

    /** Registers a child module under {@code name} and returns it. */
    protected <M extends Module> M child(String name, M module) {
        checkName(name);
        children.put(name, module);
        return module;
    }

    private void checkName(String name) {
        if (name.isEmpty() || name.contains(".")) throw new IllegalArgumentException("module member name '" + name + "' must be non-empty and without dots");
        if (params.containsKey(name) || children.containsKey(name)) throw new IllegalArgumentException("module member '" + name + "' registered twice");
    }

    /** Every parameter with its full dotted name, in registration order (depth first). */
    public Map<String, Variable> namedParameters() {
        Map<String, Variable> out = new LinkedHashMap<>();
        collect("", out);
        return out;
    }

    private void collect(String prefix, Map<String, Variable> out) {
        params.forEach((n, p) -> out.put(prefix + n, p));
        children.forEach((n, c) -> c.collect(prefix + n + ".", out));
    }

    public List<Variable> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** Only the parameters that currently take gradients. */
    public List<Variable> trainableParameters() {
        return parameters().stream().filter(Variable::requiresGrad).toList();
    }

    /** Child modules with dotted names, this module first under "". */
    public Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        walk("", out);
        return out;
    }

    private void walk(String name, Map<String, Module> out) {
        out.put(name, this);
        children.forEach((n, c) -> c.walk(name.isEmpty() ? n : name + "." + n, out));
    }

    public long parameterCount() {
        long n = 0;
        for (Variable p : parameters()) n += p.data().numel();
        return n;
    }

    /** Stops gradients for every parameter (e.g. the frozen base model under LoRA). */
    public Module freeze() {
        for (Variable p : parameters()) p.setRequiresGrad(false);
        return this;
    }

    public Module unfreeze() {
        for (Variable p : parameters()) p.setRequiresGrad(true);
        return this;
    }

    public void zeroGrad() {
        for (Variable p : parameters()) p.zeroGrad();
    }

    /** Training mode affects dropout; {@code eval()} is {@code train(false)}. */
    public Module train(boolean on) {
        training = on;
        children.values().forEach(c -> c.train(on));
        return this;
    }

    public Module eval() { return train(false); }

    public boolean isTraining() { return training; }

    // ---------------------------------------------------------------- state dict

    /** Name -> current value of every parameter. */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        namedParameters().forEach((n, p) -> out.put(n, p.data()));
        return out;
    }

    /**
     * Copies values in by name. With {@code strict}, missing and unexpected names are errors; shapes
     * must always match. The error lists what is wrong, so a mismatched checkpoint is easy to diagnose.
     */
    public void loadStateDict(Map<String, Tensor> state, boolean strict) {
        Map<String, Variable> mine = namedParameters();
        List<String> problems = new ArrayList<>();
        for (var e : mine.entrySet()) {
            Tensor t = state.get(e.getKey());
            if (t == null) {
                if (strict) problems.add("missing " + e.getKey());
            } else if (!Arrays.equals(t.shape(), e.getValue().shape())) {
                problems.add(e.getKey() + " has shape " + Shape.str(t.shape()) + " in the state but " + Shape.str(e.getValue().shape()) + " in the model");
            }
        }
        if (strict) for (String k : state.keySet()) if (!mine.containsKey(k)) problems.add("unexpected " + k);
        if (!problems.isEmpty())
            throw new IllegalArgumentException("state dict does not match " + getClass().getSimpleName() + ": " + String.join("; ", problems.subList(0, Math.min(10, problems.size())))
                    + (problems.size() > 10 ? "; and " + (problems.size() - 10) + " more" : ""));
        for (var e : mine.entrySet()) {
            Tensor t = state.get(e.getKey());
            if (t != null) e.getValue().setData(t.contiguous());
        }
    }

    /** Saves the state dict as safetensors, atomically (temporary file, then rename). */
    public void save(Path file, Map<String, String> metadata) throws IOException {
        Safetensors.write(file, stateDict(), metadata);
    }

    /** Loads a safetensors state dict written by {@link #save} (strict; NaN or infinity in it is refused). */
    public void load(Path file) throws IOException {
        loadStateDict(Safetensors.readFinite(file).tensors(), true);
    }
}
