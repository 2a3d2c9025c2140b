package org.alignguard.nn;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Name prefixes in state dicts: one file can hold several parts ({@code model.}, {@code optim.},
 * {@code unet.}, ...), each put in with {@link #prefixed} and taken out with {@link #under}.
 */
public final class StateDicts {
    private StateDicts() {}

    /** Every entry with {@code prefix} put in front of its name, in the map's order. */
    public static <V> Map<String, V> prefixed(String prefix, Map<String, V> entries) {
        Map<String, V> out = new LinkedHashMap<>();
        entries.forEach((k, v) -> out.put(prefix + k, v));
        return out;
    }

    /** The entries whose names start with {@code prefix}, with the prefix taken off. */
    public static <V> Map<String, V> under(String prefix, Map<String, V> entries) {
        Map<String, V> out = new LinkedHashMap<>();
        entries.forEach((k, v) -> {
            if (k.startsWith(prefix)) out.put(k.substring(prefix.length()), v);
        });
        return out;
    }
}
