package org.alignguard.serve;

/** A request the playground refuses, with a message for the person at the page (HTTP 400). */
final class BadRequest extends RuntimeException {
    BadRequest(String message) {
        super(message);
    }
}
