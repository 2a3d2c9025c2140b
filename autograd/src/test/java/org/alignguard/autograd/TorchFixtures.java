package org.alignguard.autograd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.alignguard.tensor.Shape;
import org.alignguard.tensor.Tensor;
import org.alignguard.tensor.io.Safetensors;

/**
 * Loads the PyTorch fixtures made by {@code src/test/python/make_op_fixtures.py} and compares
 * tensors with a tolerance, reporting the worst element on failure.
 */
final class TorchFixtures {
    static final String DIR = "fixtures/ops";

    private TorchFixtures() {}

    /** One fixture file: inputs x0.., constants c0.., outputs out0.., projections R0.., gradients g0... */
    record Fixture(String name, Map<String, Tensor> tensors, Map<String, String> metadata) {
        Tensor get(String key) {
            Tensor t = tensors.get(key);
            if (t == null) throw new AssertionError("fixture " + name + " has no tensor '" + key + "' (has " + tensors.keySet() + ")");
            return t;
        }

        boolean has(String key) { return tensors.containsKey(key); }

        int count(String prefix) {
            int n = 0;
            while (tensors.containsKey(prefix + n)) n++;
            return n;
        }

        /** Constant i as int indices (stored as whole-number floats). */
        int[] ints(String key) {
            float[] v = get(key).toArray();
            int[] r = new int[v.length];
            for (int i = 0; i < v.length; i++) {
                r[i] = Math.round(v[i]);
                if (r[i] != v[i]) throw new AssertionError(name + "." + key + "[" + i + "] = " + v[i] + " is not a whole number");
            }
            return r;
        }
    }

    static Path dir() {
        URL url = TorchFixtures.class.getClassLoader().getResource(DIR);
        if (url == null) throw new AssertionError("test resource " + DIR + " not found on the class path");
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The case names, from the file names, sorted. */
    static List<String> names() {
        try (Stream<Path> s = Files.list(dir())) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".safetensors"))
                    .map(n -> n.substring(0, n.length() - ".safetensors".length())).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Fixture load(String name) {
        try {
            Safetensors.Loaded l = Safetensors.read(dir().resolve(name + ".safetensors"));
            return new Fixture(name, l.tensors(), l.metadata());
        } catch (IOException e) {
            throw new UncheckedIOException("fixture " + name, e);
        }
    }

    /**
     * Asserts same shape and, element by element, |actual - expected| <= atol + rtol * |expected|.
     * The failure message gives the worst element (by excess over its tolerance), its index, both
     * values, the max abs error and the shapes.
     */
    static void assertClose(String what, Tensor expected, Tensor actual, double rtol, double atol) {
        if (actual == null) throw new AssertionError(what + ": actual is null, expected shape " + Shape.str(expected.shape()));
        if (!Arrays.equals(expected.shape(), actual.shape()))
            throw new AssertionError(what + ": shape " + Shape.str(actual.shape()) + ", expected " + Shape.str(expected.shape()));
        float[] e = expected.toArray(), a = actual.toArray();
        int worst = -1, maxAt = 0;
        double worstExcess = 0, maxAbs = 0;
        for (int i = 0; i < e.length; i++) {
            double err = Math.abs((double) a[i] - e[i]);
            if (Double.isNaN(err)) err = Double.POSITIVE_INFINITY;
            if (err > maxAbs || i == 0) { maxAbs = err; maxAt = i; }
            double excess = err - (atol + rtol * Math.abs(e[i]));
            if (excess > 0 && (worst < 0 || excess > worstExcess)) { worst = i; worstExcess = excess; }
        }
        if (worst >= 0)
            throw new AssertionError(String.format(
                    "%s: mismatch at index %s (flat %d): actual %.8g, expected %.8g; max abs error %.3g at %s; tolerance %.1g + %.1g*|expected|; shape %s",
                    what, Arrays.toString(unravel(worst, expected.shape())), worst, a[worst], e[worst], maxAbs,
                    Arrays.toString(unravel(maxAt, expected.shape())), atol, rtol, Shape.str(expected.shape())));
    }

    static int[] unravel(int flat, int[] shape) {
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = shape[d] == 0 ? 0 : flat % shape[d];
            flat = shape[d] == 0 ? 0 : flat / shape[d];
        }
        return idx;
    }

    /** The inputs x0, x1, ... of a fixture as fresh parameters. */
    static List<Variable> params(Fixture f) {
        List<Variable> xs = new ArrayList<>();
        for (int i = 0; i < f.count("x"); i++) xs.add(Variable.param(f.get("x" + i)));
        return xs;
    }
}
