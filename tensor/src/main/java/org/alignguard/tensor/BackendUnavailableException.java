package org.alignguard.tensor;

/** A backend was asked for that this build or this machine cannot provide; the message says why in one line. */
public final class BackendUnavailableException extends IllegalStateException {
    public BackendUnavailableException(String message) {
        super(message);
    }
}
