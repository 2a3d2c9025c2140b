package org.alignguard.tensor.io;

import java.util.regex.Pattern;

/**
 * Gson's error messages in a form a user can read: the first line only (Gson appends a link to its
 * troubleshooting page on the next), without the class names it puts in front
 * ({@code com.google.gson.stream.MalformedJsonException: }). What is left says what was wrong and where:
 * {@code Unterminated object at line 1 column 20 path $.channelMult}.
 */
public final class JsonErrors {
    private JsonErrors() {}

    /** A leading "some.package.SomeException: ", as Gson's wrapped exceptions write. */
    private static final Pattern CLASS_PREFIX = Pattern.compile("^(?:[a-z_$][\\w$]*\\.)+[A-Z][\\w$]*(?:Exception|Error): ");

    /** The message of {@code e} as one line, in the words of the problem rather than of the library. */
    public static String brief(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        m = m.lines().findFirst().orElse("").strip();
        for (String prev = null; !m.equals(prev); ) {
            prev = m;
            m = CLASS_PREFIX.matcher(m).replaceFirst("");
        }
        return m.isEmpty() ? e.getClass().getSimpleName() : m;
    }
}
