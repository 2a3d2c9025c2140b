package org.alignguard.autograd;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.alignguard.tensor.Rng;
import org.alignguard.tensor.Shape;
import org.alignguard.tensor.Tensor;

/**
 * Checks the backward of a function against central finite differences.
 *
 * <p>The scalar checked is {@code loss = Σ f(x) · R} with a fixed random projection R, so every
 * output element counts with its own weight (a plain sum would hide errors that cancel). For each
 * element of each input, the numerical derivative {@code (loss(x + eps) - loss(x - eps)) / 2eps}
 * (loss accumulated in double from the float32 outputs) must satisfy
 * {@code |num - ana| <= atol + rtol * |ana|}. A missing gradient counts as zero, so an input whose
 * backward was forgotten fails as soon as the loss depends on it.
 */
final class GradCheck {
    static final double EPS = 1e-2, ATOL = 5e-4, RTOL = 2e-3;

    private GradCheck() {}

    /** Checks with the default step and tolerances. */
    static void check(String name, Function<List<Variable>, Variable> f, Tensor... inputs) {
        check(name, EPS, ATOL, RTOL, f, inputs);
    }

    static void check(String name, double eps, double atol, double rtol, Function<List<Variable>, Variable> f, Tensor... inputs) {
        float[][] x = new float[inputs.length][];
        int[][] shapes = new int[inputs.length][];
        for (int i = 0; i < inputs.length; i++) {
            x[i] = inputs[i].toArray();
            shapes[i] = inputs[i].shape();
        }
        // Analytic: one forward and backward with all inputs as parameters.
        List<Variable> params = new ArrayList<>();
        for (int i = 0; i < inputs.length; i++) params.add(Variable.param(Tensor.of(x[i].clone(), shapes[i])));
        Variable out = f.apply(params);
        Tensor r = Tensor.randn(new Rng(name.hashCode()), out.shape());
        float[] rv = r.toArray();
        out.backward(r);

        double worst = 0;
        boolean anyNonZero = false;
        for (int i = 0; i < inputs.length; i++) {
            Tensor g = params.get(i).grad();
            if (g != null && !Arrays.equals(g.shape(), shapes[i]))
                throw new AssertionError(name + ": gradient of input " + i + " has shape " + Shape.str(g.shape()) + ", input " + Shape.str(shapes[i]));
            float[] ana = g == null ? new float[x[i].length] : g.toArray();
            for (int j = 0; j < x[i].length; j++) {
                float keep = x[i][j];
                x[i][j] = (float) (keep + eps);
                double up = loss(f, x, shapes, rv);
                x[i][j] = (float) (keep - eps);
                double down = loss(f, x, shapes, rv);
                double h = (double) (float) (keep + eps) - (float) (keep - eps);
                x[i][j] = keep;
                double num = (up - down) / h;
                double err = Math.abs(num - ana[j]);
                if (num != 0 || ana[j] != 0) anyNonZero = true;
                if (!(err <= atol + rtol * Math.abs(ana[j])))
                    throw new AssertionError(String.format(
                            "%s: d loss / d input%d%s: analytic %.6g, numerical %.6g (|diff| %.3g > %.1g + %.1g*|analytic|)%s; input shape %s, output shape %s",
                            name, i, Arrays.toString(TorchFixtures.unravel(j, shapes[i])), (double) ana[j], num, err, atol, rtol,
                            g == null ? " [no gradient was accumulated]" : "", Shape.str(shapes[i]), Shape.str(out.shape())));
                worst = Math.max(worst, err / (atol + rtol * Math.abs(ana[j])));
            }
        }
        if (!anyNonZero) throw new AssertionError(name + ": every gradient is zero, the check proves nothing");
        if (System.getenv("GRADCHECK_VERBOSE") != null) System.out.printf("%-28s worst error %.2f of tolerance%n", name, worst);
    }

    private static double loss(Function<List<Variable>, Variable> f, float[][] x, int[][] shapes, float[] r) {
        List<Variable> cs = new ArrayList<>();
        for (int i = 0; i < x.length; i++) cs.add(Variable.constant(Tensor.of(x[i].clone(), shapes[i])));
        float[] y;
        try (Grad.Scope s = Grad.noGrad()) {
            y = f.apply(cs).data().toArray();
        }
        double acc = 0;
        for (int k = 0; k < y.length; k++) acc += (double) y[k] * r[k];
        return acc;
    }
}
