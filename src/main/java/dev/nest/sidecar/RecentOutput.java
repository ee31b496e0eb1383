package dev.nest.sidecar;

import java.util.ArrayDeque;

/** The last lines a pod wrote, quoted in the error of a start that fails. Thread-safe. */
final class RecentOutput {
    static final int LINES = 20;
    private final ArrayDeque<String> lines = new ArrayDeque<>();

    synchronized void add(String line) {
        if (lines.size() == LINES) {
            lines.poll();
        }
        lines.add(line);
    }

    /** {@code "; last output: a | b"} to append to an error message, or {@code ""} when the pod wrote nothing. */
    synchronized String tail() {
        return lines.isEmpty() ? "" : "; last output: " + String.join(" | ", lines);
    }
}
