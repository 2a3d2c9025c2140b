package org.alignguard.dpo;

import org.alignguard.autograd.Losses;
import org.alignguard.autograd.NNOps;
import org.alignguard.autograd.Ops;
import org.alignguard.autograd.ShapeOps;
import org.alignguard.autograd.Variable;
import org.alignguard.tensor.Shape;
import org.alignguard.tensor.Tensor;

/**
 * The Diffusion-DPO loss (Wallace et al. 2023, Eq. 14, in the form of their training code):
 * <pre>
 *   L = −log σ( −β/2 · [ (‖y − f_θ(x_t^w,c,t)‖² − ‖y − f_ref(x_t^w,c,t)‖²)
 *                      − (‖y − f_θ(x_t^l,c,t)‖² − ‖y − f_ref(x_t^l,c,t)‖²) ] )
 * </pre>
 * x^w is the winner (the safe image) and x^l the loser (the unsafe image), both noised with the same
 * t and ε and both conditioned on the unsafe prompt c; ‖·‖² is a mean over the pixels; f_ref is the
 * frozen base model. The paper writes the loss with ε-prediction. Our base model predicts
 * v = √ᾱ_t ε − √(1−ᾱ_t) x_0 (Salimans and Ho 2022), so the target y here is the v of each image
 * and f is the UNet's v output: the same loss on the model's own parameterisation (the two differ by
 * a per-timestep weight, which β and the sampling of t absorb).
 *
 * <p>The bracket, times −β/2, is the implicit reward margin r(x^w) − r(x^l) (DPO's
 * β·log π_θ/π_ref, Rafailov et al. 2023, Eq. 5): a pair counts as "implicitly correct" when it is > 0.
 */
public final class DiffusionDpoLoss {
    private DiffusionDpoLoss() {}

    /** The loss with the per-pair terms that get logged. Arrays have one entry per pair. */
    public record Result(Variable loss, float[] mseThetaW, float[] mseThetaL, float[] mseRefW, float[] mseRefL, float[] margin) {
        /** Fraction of pairs whose reward margin is positive (the bracket is < 0): the implicit accuracy. */
        public double implicitAccuracy() {
            int n = 0;
            for (float m : margin) if (m > 0) n++;
            return (double) n / margin.length;
        }

        public double rewardMargin() { return mean(margin); }

        public static double mean(float[] v) {
            double s = 0;
            for (float x : v) s += x;
            return s / v.length;
        }
    }

    /**
     * @param policy the UNet output with the LoRA on, [2B, C, H, W]: the B winners, then the B losers
     * @param reference the frozen model's output on the same inputs (no graph)
     * @param target the model's target y (v or ε) for each of the 2B noised images
     */
    public static Result compute(Variable policy, Tensor reference, Tensor target, float beta) {
        int[] s = policy.shape();
        if (s.length < 2 || s[0] % 2 != 0 || !java.util.Arrays.equals(s, reference.shape()) || !java.util.Arrays.equals(s, target.shape()))
            throw new IllegalArgumentException("Diffusion-DPO: policy " + Shape.str(s) + ", reference " + Shape.str(reference.shape())
                    + " and target " + Shape.str(target.shape()) + " must be the same [2B, ...] (winners, then losers)");
        if (!(beta > 0) || Float.isInfinite(beta)) throw new IllegalArgumentException("Diffusion-DPO: beta must be a positive number, got " + beta);
        int b = s[0] / 2;
        Variable y = Variable.constant(target);
        Variable mseTheta = Losses.perSampleMse(policy, y);                                  // [2B]
        float[] ref = Losses.perSampleMse(Variable.constant(reference), y).data().toArray();
        Variable thetaW = ShapeOps.slice(mseTheta, 0, 0, b), thetaL = ShapeOps.slice(mseTheta, 0, b, 2 * b);
        float[] refDiff = new float[b];
        for (int i = 0; i < b; i++) refDiff[i] = ref[i] - ref[b + i];
        // margin = −β/2 · (model_diff − ref_diff), model_diff = mse_θ^w − mse_θ^l
        Variable modelDiff = Ops.sub(thetaW, thetaL);
        Variable margin = Ops.mulScalar(Ops.sub(modelDiff, Variable.constant(Tensor.of(refDiff, b))), -0.5f * beta);
        Variable loss = Ops.mean(NNOps.logSigmoid(margin), false).neg();
        float[] mt = mseTheta.data().toArray();
        return new Result(loss, java.util.Arrays.copyOfRange(mt, 0, b), java.util.Arrays.copyOfRange(mt, b, 2 * b),
                java.util.Arrays.copyOfRange(ref, 0, b), java.util.Arrays.copyOfRange(ref, b, 2 * b), margin.data().toArray());
    }
}
