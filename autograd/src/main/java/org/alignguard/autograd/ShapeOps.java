package org.alignguard.autograd;

import java.util.ArrayList;
import java.util.List;
import org.alignguard.tensor.Tensor;

/** Ops that move data around without arithmetic; their backward moves the gradient back. */
public final class ShapeOps {
    private ShapeOps() {}

    public static Variable reshape(Variable a, int... shape) {
        int[] in = a.shape();
        Variable.Node an = a.node();
        return Variable.result("reshape", a.data().reshape(shape), g -> an.accumulate(g.reshape(in)), a);
    }

    public static Variable permute(Variable a, int... order) {
        int[] inverse = new int[order.length];
        for (int i = 0; i < order.length; i++) inverse[org.alignguard.tensor.Shape.axis("permute", order[i], order.length)] = i;
        Variable.Node an = a.node();
        return Variable.result("permute", a.data().permute(order), g -> an.accumulate(g.permute(inverse).contiguous()), a);
    }

    public static Variable unsqueeze(Variable a, int axis) {
        int[] in = a.shape();
        Variable.Node an = a.node();
        return Variable.result("unsqueeze", a.data().unsqueeze(axis), g -> an.accumulate(g.reshape(in)), a);
    }

    /** Elements start..end-1 along an axis; backward pads the gradient with zeros. */
    public static Variable slice(Variable a, int axis, int start, int end) {
        int[] in = a.shape();
        Variable.Node an = a.node();
        return Variable.result("slice", a.data().slice(axis, start, end), g -> {
            int ax = org.alignguard.tensor.Shape.axis("slice", axis, in.length);
            List<Tensor> parts = new ArrayList<>();
            if (start > 0) parts.add(zerosLike(in, ax, start));
            parts.add(g);
            if (end < in[ax]) parts.add(zerosLike(in, ax, in[ax] - end));
            an.accumulate(parts.size() == 1 ? g.contiguous() : Tensor.concat(parts, ax));
        }, a);
    }

    private static Tensor zerosLike(int[] shape, int axis, int size) {
        int[] s = shape.clone();
        s[axis] = size;
        return Tensor.zeros(s);
    }

    /** Splits into pieces along an axis; each piece is a slice. */
    public static List<Variable> split(Variable a, int axis, int... sizes) {
        List<Variable> out = new ArrayList<>();
        int start = 0;
        a.data().split(axis, sizes); // validates the sizes
        for (int s : sizes) {
            out.add(slice(a, axis, start, start + s));
            start += s;
        }
        return out;
    }

    /** Joins along an axis; backward hands each input its slice of the gradient. */
    public static Variable concat(List<Variable> parts, int axis) {
        List<Tensor> ts = new ArrayList<>();
        for (Variable p : parts) ts.add(p.data());
        Tensor out = Tensor.concat(ts, axis);
        int ax = org.alignguard.tensor.Shape.axis("concat", axis, out.ndim());
        Variable.Node[] nodes = new Variable.Node[parts.size()];
        int[] lens = new int[parts.size()];
        for (int i = 0; i < nodes.length; i++) {
            nodes[i] = parts.get(i).node();
            lens[i] = parts.get(i).dim(ax);
        }
        return Variable.result("concat", out, g -> {
            int start = 0;
            for (int i = 0; i < nodes.length; i++) {
                if (nodes[i].requiresGrad()) nodes[i].accumulate(g.slice(ax, start, start + lens[i]).contiguous());
                start += lens[i];
            }
        }, parts.toArray(new Variable[0]));
    }

    /** Broadcasts to a bigger shape; backward sums over the broadcast dims. */
    public static Variable expand(Variable a, int... shape) {
        int[] in = a.shape();
        Variable.Node an = a.node();
        return Variable.result("expand", a.data().expand(shape).contiguous(), g -> an.accumulate(Ops.unbroadcast(g, in)), a);
    }
}
