package org.alignguard.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The graph keeps only what the backward closures need (PyTorch's "saved tensors"): an intermediate
 * value that no backward reads is garbage once the forward code drops it. A frozen convolution (or
 * Linear) needs its weights for the input's gradient, never its input; a trained one needs its input.
 * This is what lets a DPO step on a frozen UNet with a LoRA keep a fraction of its activations.
 */
class SavedTensorsTest {
    private final Rng rng = new Rng(7);

    /** x → silu → h → conv(h, w) → sum; returns the weak reference to h's value after dropping h. */
    private WeakReference<Tensor> forwardDroppingTheMiddle(Variable x, Variable w, Variable[] out) {
        Variable h = Ops.silu(x);
        WeakReference<Tensor> ref = new WeakReference<>(h.data());
        out[0] = NNOps.conv2d(h, w, null, 1, 1).sum(false);
        return ref;
    }

    private static boolean collected(WeakReference<Tensor> ref) {
        for (int i = 0; i < 20 && ref.get() != null; i++) {
            System.gc();
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return ref.get() == null;
    }

    @Test void aFrozenConvolutionDoesNotKeepItsInput() {
        Tensor xv = Tensor.randn(rng, 2, 3, 6, 6), wv = Tensor.randn(rng, 4, 3, 3, 3);
        Variable x = Variable.param(xv);
        Variable[] out = new Variable[1];
        WeakReference<Tensor> h = forwardDroppingTheMiddle(x, Variable.constant(wv), out);
        // silu keeps its input x, not its output h; the frozen convolution keeps only its weights.
        assertTrue(collected(h), "the graph kept the input of a frozen convolution");

        out[0].backward();
        // The gradient is the one a graph that keeps everything gives: the same op chain, h held on to.
        Variable x2 = Variable.param(xv);
        Variable h2 = Ops.silu(x2);
        NNOps.conv2d(h2, Variable.constant(wv), null, 1, 1).sum(false).backward();
        assertArrayEquals(x2.grad().toArray(), x.grad().toArray(), 0f);
    }

    @Test void aTrainedConvolutionKeepsItsInput() {
        Variable x = Variable.param(Tensor.randn(rng, 2, 3, 6, 6)), w = Variable.param(Tensor.randn(rng, 4, 3, 3, 3));
        Variable[] out = new Variable[1];
        WeakReference<Tensor> h = forwardDroppingTheMiddle(x, w, out);
        collected(h);
        assertNotNull(h.get(), "dW needs the convolution's input: the graph must keep it");
        out[0].backward();
        assertNotNull(w.grad());
    }

    @Test void aFrozenLinearLayerDoesNotKeepItsInput() {
        Variable x = Variable.param(Tensor.randn(rng, 5, 8));
        Variable h = Ops.silu(x);
        WeakReference<Tensor> ref = new WeakReference<>(h.data());
        Variable y = Ops.addmm(Variable.constant(Tensor.zeros(3)), h, Variable.constant(Tensor.randn(rng, 8, 3))).sum(false);
        h = null;
        assertTrue(collected(ref), "the graph kept the input of a frozen Linear layer");
        y.backward();
        assertNotNull(x.grad());
    }
}
