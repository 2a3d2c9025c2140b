package org.alignguard.lora;

import java.util.List;

/**
 * Which layers get a LoRA and of what size: rank r, alpha (the update is scaled by α/r), and the
 * names of the attention projections to adapt. The paper's SD1.5 setting is r = 4 (our experts use r = 16, chosen on the validation half: DpoConfig),
 * α = r on {@code to_q}, {@code to_k}, {@code to_v}, {@code to_out} of every attention block.
 */
public record LoraConfig(int rank, float alpha, List<String> targets) {
    public static final List<String> ATTENTION_TARGETS = List.of("to_q", "to_k", "to_v", "to_out");

    public LoraConfig {
        if (rank <= 0) throw new IllegalArgumentException("LoRA rank must be positive, got " + rank);
        if (!Float.isFinite(alpha) || alpha <= 0) throw new IllegalArgumentException("LoRA alpha must be a positive number, got " + alpha);
        if (targets.isEmpty()) throw new IllegalArgumentException("LoRA needs at least one target module name");
        targets = List.copyOf(targets);
    }

    /** Rank r with α = r on every attention projection. */
    public static LoraConfig of(int rank) {
        return new LoraConfig(rank, rank, ATTENTION_TARGETS);
    }
}
