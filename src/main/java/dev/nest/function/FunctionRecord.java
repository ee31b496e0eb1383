package dev.nest.function;

import dev.nest.common.NestException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A function's desired state: its versions and which one is live. Immutable; the {@code with...}
 * methods are the only ways the state changes (deploy, rollback), as pure functions.
 *
 * @param id          the function
 * @param live        the live version, 0 while there is none
 * @param liveHistory earlier live versions, oldest first (a rollback without a target returns to the last)
 * @param versions    every version by number
 * @param origin      {@code api} or {@code file:<path>} for functions defined in config files
 * @param createdAt   first deploy
 * @param updatedAt   last change
 */
public record FunctionRecord(FunctionId id, int live, List<Integer> liveHistory,
                             SortedMap<Integer, FunctionVersion> versions, String origin,
                             Instant createdAt, Instant updatedAt) {
    public static final int MAX_HISTORY = 50;

    public FunctionRecord {
        liveHistory = List.copyOf(liveHistory);
        versions = Collections.unmodifiableSortedMap(new TreeMap<>(versions));
    }

    public static FunctionRecord empty(FunctionId id, String origin, Instant now) {
        return new FunctionRecord(id, 0, List.of(), new TreeMap<>(), origin, now, now);
    }

    public Optional<FunctionVersion> liveVersion() {
        return Optional.ofNullable(versions.get(live));
    }

    public Optional<FunctionVersion> version(int v) {
        return Optional.ofNullable(versions.get(v));
    }

    public int latest() {
        return versions.isEmpty() ? 0 : versions.lastKey();
    }

    /** Adds a version with the next number and, if {@code makeLive}, points {@code live} at it. */
    public FunctionRecord withNewVersion(String digest, FunctionSpec spec, String source, Instant now, boolean makeLive) {
        int next = latest() + 1;
        SortedMap<Integer, FunctionVersion> v = new TreeMap<>(versions);
        v.put(next, new FunctionVersion(next, digest, spec.withId(id), now, source));
        List<Integer> history = makeLive ? pushHistory(live) : liveHistory;
        return new FunctionRecord(id, makeLive ? next : live, history, v, origin, createdAt, now);
    }

    /**
     * Points {@code live} at {@code target}, or at the previously live version when {@code target} is empty.
     *
     * @throws NestException 404 for an unknown version, 409 when there is nothing to roll back to
     */
    public FunctionRecord rolledBack(Optional<Integer> target, Instant now) {
        int to;
        List<Integer> history = new ArrayList<>(liveHistory);
        if (target.isPresent()) {
            to = target.get();
            if (!versions.containsKey(to)) {
                throw NestException.notFound("version", "function " + id + " has no version " + to
                        + "; its versions are " + versions.keySet());
            }
            history = pushHistory(live);
        } else {
            while (!history.isEmpty() && (history.getLast() == live || !versions.containsKey(history.getLast()))) {
                history.removeLast();
            }
            if (history.isEmpty()) {
                throw NestException.conflict("function " + id + " has no earlier live version to roll back to;"
                        + " name one with --to (versions: " + versions.keySet() + ")");
            }
            to = history.removeLast();
        }
        return new FunctionRecord(id, to, history, versions, origin, createdAt, now);
    }

    public FunctionRecord withOrigin(String newOrigin) {
        return new FunctionRecord(id, live, liveHistory, versions, newOrigin, createdAt, updatedAt);
    }

    private List<Integer> pushHistory(int previous) {
        List<Integer> h = new ArrayList<>(liveHistory);
        if (previous > 0) {
            h.add(previous);
        }
        while (h.size() > MAX_HISTORY) {
            h.removeFirst();
        }
        return h;
    }
}
