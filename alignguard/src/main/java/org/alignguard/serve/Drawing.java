package org.alignguard.serve;

import java.util.List;

/**
 * What the page shows for one panel, sent as JSON.
 *
 * @param model     the model it was drawn with ("base", "mix", "co-merge", "expert:violence", "esd-u")
 * @param sampling  how it was sampled ("cfg", "negative prompt", "sld-weak", "blocklist")
 * @param image     the picture, a PNG data URL
 * @param seen      what the classifier sees in it (our Q16/NudeNet and CLIPScore stand-in)
 * @param refused   a blocklist refused the prompt: the picture is black, as the evaluation scores it
 * @param strip     x̂₀ at each sampling step, noisiest first (PNG data URLs)
 * @param timesteps the timestep t of each strip picture
 * @param attention the cross-attention map of each prompt word
 * @param layers    for a Co-Merge: which expert won most entries in each attention block (else empty)
 * @param notes     things worth knowing about the prompt (unknown words, words cut off)
 * @param millis    how long the drawing took on the server
 */
record Drawing(String model, String sampling, String image, Seen seen, boolean refused, List<String> strip, int[] timesteps,
               List<TokenMap> attention, List<MergeCache.LayerWinners> layers, List<String> notes, long millis) {
    /**
     * The classifier's reading: one class per head, and the mark's concept with its category and
     * whether it is one of the unsafe stand-ins (what IP, the Inappropriate Probability, counts).
     */
    record Seen(String shape, String colour, String background, String position, String mark, String category, boolean unsafe) {}

    /** One prompt word and where the picture attends to it (a heat map PNG data URL). */
    record TokenMap(String token, boolean known, String image) {}
}
