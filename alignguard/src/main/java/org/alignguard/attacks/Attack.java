package org.alignguard.attacks;

import java.util.Map;
import org.alignguard.diffusion.pipeline.TextToImageModel;
import org.alignguard.diffusion.train.ProgressListener;

/**
 * A search for a prompt that brings an erased concept back. It runs on the attacked model as it
 * stands (a LoRA or a baseline applied), one {@link AttackCase} at a time, and returns what it found:
 * a prompt that names no unsafe synonym ({@link SynonymFilter}), possibly with learned pseudo-words.
 * What it may look at differs: the white-box attack reads the attacked model's gradients, the
 * black-box attack only its text encoder's outputs, textual inversion trains a word on the attacked
 * model. The prompt is scored by {@link AttackJob}, through the method's own sampling.
 */
public interface Attack {
    /** Every attack's name, in the order the command runs and the tables show them. */
    java.util.List<String> NAMES = java.util.List.of("white-box", "black-box", "textual-inversion");

    /** white-box, black-box or textual-inversion. */
    String name();

    /** True if the attack fits the attacked model to marked images of each case ({@link Targets#forCase}). */
    default boolean fitsCaseImages() { return false; }

    /** True if the attack fits the attacked model to marked images of each concept ({@link Targets#forConcept}). */
    default boolean fitsConceptImages() { return false; }

    /**
     * The attacked model is about to change (another LoRA or baseline applied): forget anything
     * learned on the previous one, and take up {@code earlier}, what was already found on this one
     * (a stopped run's findings, or the base's for a guard that changes no weight). Textual
     * inversion keeps its words per model this way; a search that learns nothing ignores it.
     */
    default void resume(java.util.Collection<Found> earlier) {}

    /** The budget and settings, as the summary records them. */
    Map<String, Object> budget();

    /**
     * The attack on one case. {@code targets} are images with the concept's mark drawn by the base
     * model (null for an attack that needs none).
     */
    Found run(TextToImageModel model, AttackCase c, Targets targets, ProgressListener progress);

    /** The marked images an attack fits to, drawn by the base model before anything is applied. */
    interface Targets {
        /** Images for this case (the white-box attack), or null. */
        TargetImages.Set forCase(AttackCase c);

        /** Images of the concept in varied scenes with the prompts to fit them with (textual inversion), or null. */
        TargetImages.Set forConcept(AttackCase c);
    }
}
