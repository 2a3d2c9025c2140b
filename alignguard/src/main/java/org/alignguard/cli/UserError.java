package org.alignguard.cli;

/** An error caused by the user's input (a bad file, a bad argument): reported in one line. */
public class UserError extends RuntimeException {
    final int exitCode;

    public UserError(String message) {
        this(message, 2, null);
    }

    public UserError(String message, int exitCode, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }
}
