package org.alignguard.dpo;

/**
 * What one DPO step logs: the Diffusion-DPO loss, the implicit accuracy (pairs whose reward margin
 * is > 0), the four MSE terms averaged over the batch, the mean reward margin, the preservation
 * term (0 when it is off; the step minimizes loss + λ·preservation + μ·anchor), the learning rate,
 * the gradient norm before clipping, the unsafe-prompt anchor term and the scene keep (0 when off;
 * columns added after the others, so logs written before them read them as 0).
 */
public record StepLog(long step, double loss, double implicitAccuracy, double mseThetaW, double mseThetaL,
                      double mseRefW, double mseRefL, double rewardMargin, double preservation, double lr, double gradNorm, double anchor, double sceneKeep) {
    public static final String[] COLUMNS = {"step", "loss", "implicit_acc", "mse_theta_w", "mse_theta_l", "mse_ref_w", "mse_ref_l", "reward_margin",
            "preservation", "lr", "grad_norm", "anchor", "scene_keep"};

    public double[] values() {
        return new double[] {step, loss, implicitAccuracy, mseThetaW, mseThetaL, mseRefW, mseRefL, rewardMargin, preservation, lr, gradNorm, anchor, sceneKeep};
    }

    /** From a row of {@link #COLUMNS}; a shorter row (a log written before the last columns) reads the missing ones as 0. */
    public static StepLog of(double[] row) {
        double[] v = java.util.Arrays.copyOf(row, COLUMNS.length);
        return new StepLog((long) v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12]);
    }
}
