package org.alignguard.merge;

import org.alignguard.autograd.Variable;
import org.alignguard.nn.Linear;

/**
 * Watches one Linear and accumulates, per input feature k, Σ|x_k| over every row it sees: the
 * E|x_k| of Co-Merge's activation statistic. It is attached like an adapter and adds nothing.
 */
final class InputRecorder implements Linear.Adapter {
    final Linear layer;
    final double[] absSum;
    long rows;

    InputRecorder(Linear layer) {
        this.layer = layer;
        this.absSum = new double[layer.inFeatures];
    }

    /** It sums what it sees: passes through it run on one thread, in order. */
    @Override public boolean stateless() {
        return false;
    }

    /** Records the rows and leaves y as it is. */
    @Override public Variable addTo(Variable y, Variable x) {
        float[] v = x.data().contiguous().toArray();
        int in = absSum.length, n = v.length / in;
        for (int r = 0; r < n; r++)
            for (int k = 0; k < in; k++) absSum[k] += Math.abs(v[r * in + k]);
        rows += n;
        return y;
    }

    /** E|x_k| over the rows seen. */
    double[] meanAbs() {
        double[] m = new double[absSum.length];
        for (int k = 0; k < m.length; k++) m[k] = rows == 0 ? 0 : absSum[k] / rows;
        return m;
    }
}
