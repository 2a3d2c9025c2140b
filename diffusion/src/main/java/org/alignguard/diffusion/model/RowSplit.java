package org.alignguard.diffusion.model;

import java.util.ArrayList;
import java.util.List;
import org.alignguard.autograd.Grad;
import org.alignguard.autograd.Variable;
import org.alignguard.tensor.Tensor;
import org.alignguard.tensor.cpu.Lanes;
import org.alignguard.tensor.cpu.Parallel;

/**
 * A pass of the UNet without gradients, its batch split by rows over this thread's share of the
 * threads: part k (whole rows) runs on one thread with its own UNet, and the parts are joined again.
 * <p>Why: a pass is a thousand loops of 10-100 µs, and a loop split over two threads waits for its
 * slower half every time; on two cores a pass on both threads is hardly faster than on one, while
 * two passes on one thread each take about as long as one alone (docs/PERFORMANCE.md, "Fourteenth
 * session"). Used by the DPO step's reference pass and by the {@code Generator}.
 * <p>The same bits as one pass over the whole batch: every layer works on each sample alone, and
 * every kernel sums in an order that does not depend on the batch, as long as each part has at
 * least two rows. (With one image, a convolution on a 4×4 map takes another path than with several,
 * {@code Conv2dKernels.batchedSmall}, whose K blocks differ; so parts have two rows or more.)
 */
public final class RowSplit {
    private RowSplit() {}

    /** A pass over rows [from, to) of a batch on one UNet. */
    @FunctionalInterface
    public interface Pass {
        Variable run(UNet unet, int from, int to);
    }

    /**
     * How many parts a batch of {@code n} rows splits into here: at most one per thread of this
     * thread's share and one per lane ({@code -Dalignguard.lanes=1}: none), with two rows or more each.
     */
    public static int parts(int n) {
        return Math.max(1, Math.min(n / 2, Math.min(Parallel.threadsHere(), Lanes.count())));
    }

    /** {@code pass} over the n rows without gradients, part k on {@code unets.get(k)} (at least {@link #parts} of them). */
    public static Tensor run(int n, List<UNet> unets, Pass pass) {
        int parts = Math.min(parts(n), unets.size());
        Tensor[] out = new Tensor[parts];
        List<Lanes.Job<UNet>> jobs = new ArrayList<>();
        for (int k = 0; k < parts; k++) {
            int from = (int) ((long) n * k / parts), to = (int) ((long) n * (k + 1) / parts), part = k;
            jobs.add(unet -> {
                try (var scope = Grad.noGrad()) {   // the grad mode is per thread
                    out[part] = pass.run(unet, from, to).data();
                }
            });
        }
        try {
            Lanes.run(unets.subList(0, parts), jobs);
        } catch (java.io.IOException io) {
            throw new java.io.UncheckedIOException(io);   // a pass does no I/O
        }
        return parts == 1 ? out[0] : Tensor.concat(List.of(out), 0);
    }

    /** Rows [from, to) of v, as a constant. */
    public static Variable rows(Variable v, int from, int to) {
        return Variable.constant(v.data().slice(0, from, to).contiguous());
    }
}
