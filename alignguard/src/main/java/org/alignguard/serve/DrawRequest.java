package org.alignguard.serve;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One picture the page asks for: a prompt, the sampling settings, and the model to draw it with.
 * The page sends one request per panel, all with the same prompt and seed, so the panels differ only
 * in the model. {@code client} and {@code round} say which page and which click of its Draw button
 * the request belongs to: a newer round from the same page replaces the older ones ({@link DrawQueue}).
 *
 * <p>{@link #parse} checks everything and refuses what it cannot draw with a {@link BadRequest} that
 * names the field: the page shows that message as it is.
 */
record DrawRequest(String client, long round, String prompt, long seed, int steps, float guidance, String model, Mix mix) {
    /** Longer prompts are refused: the text encoder reads at most a few dozen words anyway. */
    static final int MAX_PROMPT = 500;
    static final int MAX_STEPS = 50;
    /** The default sampling steps: the main job scores its models at 10 DDIM steps too (`run --eval-steps 10`). */
    static final int DEFAULT_STEPS = 10;
    /** The default classifier-free guidance scale (the page starts with it too, {@link PageSetup}). */
    static final float DEFAULT_GUIDANCE = 3f;
    static final float MAX_GUIDANCE = 20f, MAX_SCALE = 2f;
    static final double MAX_GAMMA = 20;
    /** The largest seed a page's JavaScript number holds exactly (2^53 − 1). */
    static final long MAX_SEED = (1L << 53) - 1;

    static DrawRequest parse(String body, Shelf shelf) {
        JsonObject o;
        try {
            JsonElement e = JsonParser.parseString(body == null ? "" : body);
            if (!e.isJsonObject()) throw new BadRequest("the request must be a JSON object");
            o = e.getAsJsonObject();
        } catch (RuntimeException e) {
            if (e instanceof BadRequest b) throw b;
            throw new BadRequest("the request is not valid JSON");
        }
        String prompt = string(o, "prompt", null);
        if (prompt == null) throw new BadRequest("prompt is missing (the empty prompt \"\" is allowed: it is the unconditional one)");
        if (prompt.length() > MAX_PROMPT)
            throw new BadRequest("prompt is " + prompt.length() + " characters long; the playground takes at most " + MAX_PROMPT);
        for (int i = 0; i < prompt.length(); i++)
            if (Character.isISOControl(prompt.charAt(i))) throw new BadRequest("prompt holds a control character at position " + i);
        long seed = integer(o, "seed", 0, 0, MAX_SEED);
        int steps = (int) integer(o, "steps", DEFAULT_STEPS, 1, MAX_STEPS);
        float guidance = (float) number(o, "guidance", DEFAULT_GUIDANCE, 0, MAX_GUIDANCE);
        String model = string(o, "model", "base");
        if (!shelf.modelNames().contains(model))
            throw new BadRequest("unknown model '" + clip(model) + "' (known: " + String.join(", ", shelf.modelNames()) + ")");
        String method = string(o, "merge", "co-merge");
        if (!Mix.METHODS.contains(method)) throw new BadRequest("unknown merge '" + clip(method) + "' (known: " + String.join(", ", Mix.METHODS) + ")");
        double gamma = number(o, "gamma", org.alignguard.merge.CoMerge.DEFAULT_GAMMA, 0, MAX_GAMMA);
        Map<String, Float> scales = new LinkedHashMap<>();
        JsonElement ex = o.get("experts");
        if (ex != null && !ex.isJsonNull()) {
            if (!ex.isJsonObject()) throw new BadRequest("experts must be an object of expert name to scale, e.g. {\"violence\": 1}");
            for (var e : ex.getAsJsonObject().entrySet()) {
                if (shelf.expert(e.getKey()) == null)
                    throw new BadRequest("unknown expert '" + clip(e.getKey()) + "' (known: " + String.join(", ", shelf.experts.stream().map(x -> x.name()).toList()) + ")");
                scales.put(e.getKey(), (float) number(e.getValue(), "scale of expert " + e.getKey(), -MAX_SCALE, MAX_SCALE));
            }
        }
        scales.values().removeIf(s -> s == 0f);   // a switched-off expert and one at scale 0 are the same thing
        String client = string(o, "client", null);
        if (client != null && client.length() > 64) throw new BadRequest("client must be at most 64 characters");
        long round = integer(o, "round", 0, 0, MAX_SEED);
        return new DrawRequest(client, round, prompt, seed, steps, guidance, model, Mix.of(method, gamma, scales));
    }

    private static String string(JsonObject o, String name, String dflt) {
        JsonElement e = o.get(name);
        if (e == null || e.isJsonNull()) return dflt;
        if (!(e instanceof JsonPrimitive p) || !p.isString()) throw new BadRequest(name + " must be a string");
        return p.getAsString();
    }

    private static double number(JsonObject o, String name, double dflt, double min, double max) {
        JsonElement e = o.get(name);
        return e == null || e.isJsonNull() ? dflt : number(e, name, min, max);
    }

    /** A finite number in [min, max]; NaN and infinities (which a lenient JSON reader lets through, as text too) are refused. */
    private static double number(JsonElement e, String name, double min, double max) {
        double v;
        try {
            if (!(e instanceof JsonPrimitive p) || p.isBoolean()) throw new NumberFormatException();
            v = p.isNumber() ? p.getAsDouble() : Double.parseDouble(p.getAsString().trim());
        } catch (RuntimeException x) {
            throw new BadRequest(name + " must be a number, got " + clip(e.toString()));
        }
        if (!Double.isFinite(v)) throw new BadRequest(name + " must be a finite number, got " + v);
        if (v < min || v > max) throw new BadRequest(name + " must be between " + fmt(min) + " and " + fmt(max) + ", got " + fmt(v));
        return v;
    }

    /** A whole number as the page writes it: digits, perhaps a sign, perhaps ".0". */
    private static final java.util.regex.Pattern WHOLE = java.util.regex.Pattern.compile("-?\\d+(\\.0+)?");
    /** Longer tokens are refused unread: no setting needs more than 20 characters (a long has 19 digits). */
    static final int MAX_NUMBER_CHARS = 20;

    /**
     * A whole number in [min, max]. The token is checked as text before it is read: 1e999999999 or a
     * million digits would otherwise be expanded into a huge number just to be refused.
     */
    private static long integer(JsonObject o, String name, long dflt, long min, long max) {
        JsonElement e = o.get(name);
        if (e == null || e.isJsonNull()) return dflt;
        String raw = e instanceof JsonPrimitive p && !p.isBoolean() ? p.getAsString().trim() : e.toString();
        if (!(e instanceof JsonPrimitive p) || p.isBoolean() || raw.length() > MAX_NUMBER_CHARS || !WHOLE.matcher(raw).matches())
            throw new BadRequest(name + " must be a whole number between " + min + " and " + max + ", written in digits; got " + clip(raw));
        String range = name + " must be between " + min + " and " + max + ", got " + clip(raw);
        long v;
        try {
            int dot = raw.indexOf('.');
            v = Long.parseLong(dot < 0 ? raw : raw.substring(0, dot));
        } catch (NumberFormatException x) {   // more than a long holds: out of range anyway
            throw new BadRequest(range);
        }
        if (v < min || v > max) throw new BadRequest(range);
        return v;
    }

    private static String fmt(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    /** Echoes at most 40 characters of what the request sent. */
    private static String clip(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "…";
    }

}
