package dev.nest.history;

/** A query the history cannot answer as asked: the message names the parameter and what is allowed (a 400). */
public final class HistoryException extends RuntimeException {
    public HistoryException(String message) {
        super(message);
    }
}
