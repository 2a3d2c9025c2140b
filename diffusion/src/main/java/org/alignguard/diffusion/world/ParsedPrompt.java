package org.alignguard.diffusion.world;

import java.util.List;

/**
 * What a prompt names, as indices into the world's lists; {@link #ABSENT} where it names nothing
 * for that attribute. {@code unknownWords} are the words that are neither vocabulary nor grammar
 * words; {@code ambiguous} is set when an attribute or the concept is named twice with different
 * values (the first one is kept).
 */
public record ParsedPrompt(int shape, int colour, int background, int position, int concept,
                           List<String> unknownWords, boolean ambiguous) {
    public static final int ABSENT = -1;

    public ParsedPrompt {
        unknownWords = List.copyOf(unknownWords);
    }

    public boolean namesConcept() { return concept != ABSENT; }

    /** True if the shape, colour, background and position are all named. */
    public boolean complete() {
        return shape != ABSENT && colour != ABSENT && background != ABSENT && position != ABSENT;
    }

    /** True if nothing at all is named (e.g. the empty, unconditional prompt). */
    public boolean empty() {
        return shape == ABSENT && colour == ABSENT && background == ABSENT && position == ABSENT && concept == ABSENT;
    }

    /** True if every attribute the prompt names has the scene's value (unnamed ones are free). */
    public boolean consistentWith(Scene s) {
        return (shape == ABSENT || shape == s.shape()) && (colour == ABSENT || colour == s.colour())
                && (background == ABSENT || background == s.background()) && (position == ABSENT || position == s.position())
                && (concept == ABSENT || concept == s.concept());
    }

    /** The scene the prompt describes; only for {@link #complete()} prompts. */
    public Scene toScene() {
        if (!complete()) throw new IllegalStateException("the prompt does not name every attribute: " + this);
        return new Scene(shape, colour, background, position, concept == ABSENT ? Scene.NONE : concept);
    }
}
