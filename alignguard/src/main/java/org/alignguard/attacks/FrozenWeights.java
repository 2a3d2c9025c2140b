package org.alignguard.attacks;

import java.util.ArrayList;
import java.util.List;
import org.alignguard.autograd.Variable;
import org.alignguard.diffusion.pipeline.TextToImageModel;

/**
 * Every weight of the model (a LoRA's or an edit's included) held without gradient while an attack
 * differentiates with respect to its prompt, then put back as it was. The attack's backward pass
 * then reaches the token embeddings without computing, or storing, a gradient for any weight.
 */
final class FrozenWeights implements AutoCloseable {
    private final List<Variable> params = new ArrayList<>();
    private final List<Boolean> before = new ArrayList<>();

    FrozenWeights(TextToImageModel model) {
        for (Variable p : model.unet.parameters()) add(p);
        for (Variable p : model.textEncoder.parameters()) add(p);
        // An adapter's weights (a LoRA's factors) hang on its Linear, outside the module tree.
        for (var m : model.unet.namedModules().values())
            if (m instanceof org.alignguard.nn.Linear lin)
                for (var a : lin.adapters())
                    if (a instanceof org.alignguard.lora.AdapterLayer l) l.parameters().forEach(this::add);
    }

    private void add(Variable p) {
        params.add(p);
        before.add(p.requiresGrad());
        p.setRequiresGrad(false);
    }

    @Override public void close() {
        for (int i = 0; i < params.size(); i++) params.get(i).setRequiresGrad(before.get(i));
    }
}
