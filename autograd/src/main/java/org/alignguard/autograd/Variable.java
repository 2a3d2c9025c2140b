package org.alignguard.autograd;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.alignguard.tensor.Shape;
import org.alignguard.tensor.Tensor;

/**
 * A tensor in the autograd graph: its value, its gradient, and how to send a gradient back to the
 * variables it was computed from.
 *
 * <p>As in micrograd, each op builds its result with {@link #result}, passing a closure that turns
 * the result's gradient into gradients of the inputs; the closure sits next to the forward code
 * (see {@link Ops}). {@link #backward()} sorts the graph topologically and runs the closures in
 * reverse order. Gradients accumulate ({@code grad += g}), so call {@code zeroGrad} between steps.
 *
 * <p>The graph is made of {@link Node}s, not of Variables: a node holds the gradient and the edges,
 * never the value. So the graph keeps alive only what the closures captured (PyTorch's "saved
 * tensors"), and an intermediate value that no backward needs, say the input of a convolution whose
 * weights are frozen, is garbage as soon as the forward code drops its Variable. A closure must
 * therefore capture the tensors and nodes it needs, never a Variable.
 */
public final class Variable {
    /** Turns the gradient of this variable into gradients of its parents (by calling {@link Node#accumulate}). */
    @FunctionalInterface
    public interface BackwardFn {
        void apply(Tensor gradOut);
    }

    /** A vertex of the graph: the gradient, the edges to the parents' nodes and the backward closure. */
    public static final class Node {
        private Tensor grad;
        private boolean requiresGrad;
        private final Node[] parents;
        private final BackwardFn backwardFn;
        private final String op;
        private final int[] shape;

        private Node(int[] shape, boolean requiresGrad, Node[] parents, BackwardFn fn, String op) {
            this.shape = shape;
            this.requiresGrad = requiresGrad;
            this.parents = parents;
            this.backwardFn = fn;
            this.op = op;
        }

        public boolean requiresGrad() { return requiresGrad; }

        /** Adds {@code g} to this node's gradient: gradients from several uses add up. */
        public void accumulate(Tensor g) {
            if (!requiresGrad) return;
            if (!Arrays.equals(g.shape(), shape))
                throw new IllegalStateException("gradient of shape " + Shape.str(g.shape()) + " for " + op + " output of shape " + Shape.str(shape));
            grad = grad == null ? g : grad.add(g);
        }
    }

    private Tensor data;
    private final Node node;

    private Variable(Tensor data, Node node) {
        this.data = data;
        this.node = node;
    }

    /** A leaf that will collect a gradient (a parameter or an input you differentiate by). */
    public static Variable param(Tensor data) {
        return new Variable(data, new Node(data.shape(), true, new Node[0], null, "leaf"));
    }

    /** A leaf constant: no gradient. */
    public static Variable constant(Tensor data) {
        return new Variable(data, new Node(data.shape(), false, new Node[0], null, "const"));
    }

    /**
     * The output of op {@code name}. It records {@code fn} only when grad mode is on and some parent
     * needs a gradient; otherwise the result is a constant and the graph is not kept.
     */
    public static Variable result(String name, Tensor data, BackwardFn fn, Variable... parents) {
        boolean needs = false;
        if (Grad.isEnabled()) for (Variable p : parents) needs |= p != null && p.node.requiresGrad;
        if (!needs) return new Variable(data, new Node(data.shape(), false, new Node[0], null, name));
        Node[] edges = new Node[parents.length];
        for (int i = 0; i < parents.length; i++) edges[i] = parents[i] == null ? null : parents[i].node;
        return new Variable(data, new Node(data.shape(), true, edges, fn, name));
    }

    public Tensor data() { return data; }
    /** This variable's vertex in the graph: what a backward closure captures to send it a gradient. */
    public Node node() { return node; }
    public Tensor grad() { return node.grad; }
    public boolean requiresGrad() { return node.requiresGrad; }
    public String op() { return node.op; }
    public int[] shape() { return data.shape(); }
    public int dim(int axis) { return data.dim(axis); }
    public int ndim() { return data.ndim(); }
    public float item() { return data.item(); }

    /** Replaces the value of a leaf in place (optimizer updates, loading a state dict). */
    public void setData(Tensor value) {
        if (!Arrays.equals(value.shape(), data.shape()))
            throw new IllegalArgumentException("setData: shape " + Shape.str(value.shape()) + " differs from " + Shape.str(data.shape()));
        this.data = value;
    }

    /** Turns gradient tracking of a leaf on or off (used by freeze/unfreeze). */
    public void setRequiresGrad(boolean on) {
        if (node.parents.length > 0) throw new IllegalStateException("setRequiresGrad: only leaves can change, this is the output of " + node.op);
        node.requiresGrad = on;
    }

    public void zeroGrad() { node.grad = null; }

    /** Adds {@code g} to this variable's gradient: gradients from several uses add up. */
    public void accumulate(Tensor g) {
        node.accumulate(g);
    }

    /** The same value cut off from the graph. */
    public Variable detach() {
        return constant(data);
    }

    /** Backward from a scalar output: d(this)/d(this) = 1. */
    public void backward() {
        if (data.numel() != 1)
            throw new IllegalStateException("backward() needs a scalar output, got shape " + Shape.str(data.shape()) + "; pass a gradient");
        backward(Tensor.full(1f, data.shape()));
    }

    /** Backward with an explicit output gradient: topological sort, then one reverse loop. */
    public void backward(Tensor gradOut) {
        if (!node.requiresGrad) throw new IllegalStateException("backward(): output of " + node.op + " does not require grad");
        List<Node> order = topologicalOrder(node);
        node.accumulate(gradOut);
        for (int i = order.size() - 1; i >= 0; i--) {
            Node v = order.get(i);
            if (v.backwardFn != null && v.grad != null) v.backwardFn.apply(v.grad);
        }
    }

    /** Post-order DFS without recursion, so deep graphs cannot overflow the stack. */
    private static List<Node> topologicalOrder(Node root) {
        List<Node> order = new ArrayList<>();
        Set<Node> visited = new HashSet<>();
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {root, 0});
        visited.add(root);
        while (!stack.isEmpty()) {
            Object[] top = stack.peek();
            Node v = (Node) top[0];
            int next = (Integer) top[1];
            if (next < v.parents.length) {
                top[1] = next + 1;
                Node p = v.parents[next];
                if (p != null && p.requiresGrad && visited.add(p)) stack.push(new Object[] {p, 0});
            } else {
                stack.pop();
                order.add(v);
            }
        }
        return order;
    }

    // Fluent forms of the common ops; each is defined, with its backward, in Ops.
    public Variable add(Variable o) { return Ops.add(this, o); }
    public Variable sub(Variable o) { return Ops.sub(this, o); }
    public Variable mul(Variable o) { return Ops.mul(this, o); }
    public Variable div(Variable o) { return Ops.div(this, o); }
    public Variable add(float s) { return Ops.addScalar(this, s); }
    public Variable mul(float s) { return Ops.mulScalar(this, s); }
    public Variable neg() { return Ops.mulScalar(this, -1f); }
    public Variable matmul(Variable o) { return Ops.matmul(this, o); }
    public Variable sum(boolean keepdim, int... axes) { return Ops.sum(this, keepdim, axes); }
    public Variable mean(boolean keepdim, int... axes) { return Ops.mean(this, keepdim, axes); }
    public Variable reshape(int... shape) { return ShapeOps.reshape(this, shape); }
    public Variable transpose(int a, int b) { return ShapeOps.permute(this, Shape.swapOrder("transpose", data.shape(), a, b)); }
    public Variable permute(int... order) { return ShapeOps.permute(this, order); }

    @Override public String toString() {
        return "Variable(" + node.op + ", " + data + (node.requiresGrad ? ", requires_grad" : "") + ")";
    }
}
