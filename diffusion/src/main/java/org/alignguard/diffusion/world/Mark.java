package org.alignguard.diffusion.world;

/**
 * The visual stand-in of a concept: a texture ({@link MarkForm}) drawn in one colour over the
 * background around the object. Abstract on purpose: a pattern, never a depiction.
 */
public record Mark(MarkForm form, String colourName, float[] rgb) {
    public Mark {
        rgb = rgb.clone();
    }

    @Override public float[] rgb() { return rgb.clone(); }

    @Override public String toString() { return form.name().toLowerCase(java.util.Locale.ROOT) + "/" + colourName; }
}
