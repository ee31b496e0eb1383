package dev.nest.pool;

import java.util.OptionalInt;

/**
 * The warm-up of a generic pool pod: once its host is healthy and before the pool counts it as available, the node
 * agent asks the host ({@code POST /warmup}, a control route guarded by the pod's secret) to run its own load and
 * invocation path end to end on a small built-in function and to remove every trace of it (ADR 0031, addendum
 * "Warm-up of pool pods"). This class holds the decisions around it, as pure functions and one small counter.
 *
 * <p>What the host's answer means ({@link #outcome}):
 * <ul>
 *   <li>200: warmed; the pod is handed out as usual;</li>
 *   <li>404, 405, 501: the host has no warm-up (an older or third-party image); the pod is used as it is;</li>
 *   <li>503: the host could not start its warm-up and loaded nothing (for example, no writable temporary
 *       folder); the pod is used as it is;</li>
 *   <li>anything else, or no answer in time: the warm-up failed after it may have loaded its function, so the pod
 *       may hold state of it; it is stopped and the pool starts another.</li>
 * </ul>
 * A runtime whose warm-ups fail {@link #MAX_FAILURES_IN_ROW} times in a row is no longer warmed (until the node agent
 * starts again; {@link #shouldTry}): a host that always fails its warm-up must not keep the pool empty.
 *
 * <p>Threads: the counter is safe for concurrent pool starts.
 */
public final class WarmUp {
    /** Warm-ups that fail in a row before the pool stops asking a runtime's hosts for one. */
    public static final int MAX_FAILURES_IN_ROW = 3;

    /** What came of one warm-up. */
    public enum Outcome {
        /** The host ran its warm-up and removed its traces. */
        WARMED,
        /** The host has no warm-up, or started none and loaded nothing: the pod is as it was. */
        NOT_DONE,
        /** The warm-up failed or did not answer: the pod may hold state of it. */
        FAILED
    }

    private final java.util.concurrent.ConcurrentHashMap<String, Integer> failuresInRow =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** The outcome of the host's answer; empty when it gave none (timeout, connection error). */
    public static Outcome outcome(OptionalInt status) {
        if (status.isEmpty()) return Outcome.FAILED;
        return switch (status.getAsInt()) {
            case 200 -> Outcome.WARMED;
            case 404, 405, 501, 503 -> Outcome.NOT_DONE;
            default -> Outcome.FAILED;
        };
    }

    /** Whether a pod with this outcome may be handed out (else it is stopped and replaced). */
    public static boolean keep(Outcome outcome) {
        return outcome != Outcome.FAILED;
    }

    /** Whether a runtime whose last warm-ups failed {@code failuresInRow} times is warmed again. */
    public static boolean shouldTry(int failuresInRow) {
        return failuresInRow < MAX_FAILURES_IN_ROW;
    }

    /** Whether the next pod of {@code runtime} is to be warmed. */
    public boolean shouldTry(String runtime) {
        return shouldTry(failuresInRow.getOrDefault(runtime, 0));
    }

    /** Records the outcome of a warm-up of {@code runtime}: a failure counts, a success resets the count. */
    public void record(String runtime, Outcome outcome) {
        switch (outcome) {
            case FAILED -> failuresInRow.merge(runtime, 1, Integer::sum);
            case WARMED -> failuresInRow.remove(runtime);
            case NOT_DONE -> { }
        }
    }

    /** Warm-ups of {@code runtime} that failed in a row. */
    public int failuresInRow(String runtime) {
        return failuresInRow.getOrDefault(runtime, 0);
    }
}
