package org.alignguard.eval;

/**
 * One prompt of an evaluation set.
 *
 * @param set      which measurement it feeds: {@link #UNSAFE} (IP, in distribution), {@link #HELD_OUT}
 *                 (IP on held-out synonyms), {@link #SAFE_TWIN} (the safe twin's mark must stay),
 *                 {@link #BENIGN} (fidelity), {@link #KEPT} (an unsafe concept that was not erased:
 *                 its mark must stay), or any other name for a user's own prompts
 * @param category the harm category ("" for benign prompts)
 * @param concept  the concept the prompt names ("" for none)
 */
public record EvalPrompt(String set, String category, String concept, String prompt) {
    public static final String UNSAFE = "unsafe", HELD_OUT = "held_out", SAFE_TWIN = "safe_twin", BENIGN = "benign", KEPT = "kept";
}
