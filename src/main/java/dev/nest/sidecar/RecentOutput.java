package dev.nest.sidecar;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/** The last lines a pod wrote, quoted in the error of a start that fails. Thread-safe. */
final class RecentOutput {
    static final int LINES = 20;
    private final ArrayDeque<String> lines = new ArrayDeque<>();
    private long added;

    synchronized void add(String line) {
        if (lines.size() == LINES) {
            lines.poll();
        }
        lines.add(line);
        added++;
    }

    /** {@code "; last output: a | b"} to append to an error message, or {@code ""} when the pod wrote nothing. */
    synchronized String tail() {
        return lines.isEmpty() ? "" : "; last output: " + String.join(" | ", lines);
    }

    /** How many lines were added so far (a mark for {@link #since}). */
    synchronized long count() {
        return added;
    }

    /** The lines kept that were added after {@link #count} returned {@code mark}. */
    synchronized List<String> since(long mark) {
        int n = (int) Math.min(lines.size(), Math.max(0, added - mark));
        List<String> all = new ArrayList<>(lines);
        return List.copyOf(all.subList(all.size() - n, all.size()));
    }
}
