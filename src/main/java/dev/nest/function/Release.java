package dev.nest.function;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A canary release of a function, as stored in its head beside the aliases: the settings it was started with and
 * how far it has come. The alias {@code live} carries the traffic split; this record says why. The region's leader
 * advances it ({@code dev.nest.release}); every node reads it from its catalog.
 *
 * @param from         the stable version (live when the release started)
 * @param to           the canary version
 * @param steps        the canary's percent at each step, strictly increasing, each 1 to 100
 * @param settings     how each step is judged
 * @param state        where the release stands
 * @param step         the index in {@code steps} of the current (or last) step
 * @param startedAt    when the release started
 * @param stepStartedAt when the current step's window opened (a new leader opens it again)
 * @param updatedAt    the last change
 * @param reason       why it stands where it does (the failed check, who paused it, ...)
 * @param checks       the figures of the last judgement of the current step
 * @param history      every change of step or state, oldest first (at most {@link #MAX_HISTORY}: the first entry and
 *                     the latest ones are kept), so that the head alone tells how the release went on any node
 */
public record Release(int from, int to, List<Integer> steps, Settings settings, State state, int step,
                      Instant startedAt, Instant stepStartedAt, Instant updatedAt, String reason, List<Check> checks,
                      List<Event> history) {
    public static final int MAX_STEPS = 20;
    /** The most history entries a release keeps (steps, pauses, resumes and the end fit many times over). */
    public static final int MAX_HISTORY = 64;

    /**
     * One change in a release's history.
     *
     * @param at      when it happened
     * @param event   {@code started}, {@code step}, {@code paused}, {@code resumed}, {@code promoted} or
     *                {@code rolled-back}
     * @param step    the index of the step it happened at (or moved to)
     * @param percent the canary's percent of traffic from then on
     * @param reason  why (who started, paused or aborted it; the checks' verdict)
     */
    public record Event(Instant at, String event, int step, int percent, String reason) {
        public Event {
            reason = reason == null ? "" : reason;
        }
    }

    /** A release without history yet (the constructor of stored releases written before history was kept). */
    public Release(int from, int to, List<Integer> steps, Settings settings, State state, int step, Instant startedAt,
                   Instant stepStartedAt, Instant updatedAt, String reason, List<Check> checks) {
        this(from, to, steps, settings, state, step, startedAt, stepStartedAt, updatedAt, reason, checks, List.of());
    }

    /** A release that starts now at its first step, its history one {@code started} entry. */
    public static Release start(int from, int to, List<Integer> steps, Settings settings, Instant now, String why) {
        return new Release(from, to, steps, settings, State.RUNNING, 0, now, now, now, why, List.of(),
                List.of(new Event(now, "started", 0, steps.getFirst(), why)));
    }

    /** Where a release stands; {@code running} and {@code paused} are active, the other two are final. */
    public enum State {
        RUNNING, PAUSED, PROMOTED, ROLLED_BACK;

        /** The name in the API: {@code running}, {@code paused}, {@code promoted}, {@code rolled-back}. */
        public String label() {
            return name().toLowerCase().replace('_', '-');
        }

        public static State ofLabel(String s) {
            for (State st : values()) {
                if (st.label().equals(s)) {
                    return st;
                }
            }
            throw new IllegalArgumentException("release state '" + s + "' is not one of running, paused, promoted, rolled-back");
        }

        public boolean active() {
            return this == RUNNING || this == PAUSED;
        }
    }

    /**
     * How a step is judged.
     *
     * @param interval     how long each step lasts at least (its window)
     * @param maxErrorRate the most the canary's error rate may exceed the stable version's, as a fraction (0.01 = 1%)
     * @param maxP99       the canary's p99 latency passes below this
     * @param maxP99Ratio  ... or when it is at most this multiple of the stable version's p99 over the same window
     * @param minRequests  the canary requests a step needs before it is judged
     */
    public record Settings(Duration interval, double maxErrorRate, Duration maxP99, double maxP99Ratio, int minRequests) {
        public Settings {
            if (interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("interval must be positive, not " + interval);
            }
            if (!(maxErrorRate >= 0 && maxErrorRate <= 1)) {
                throw new IllegalArgumentException("max-error-rate must be 0% to 100%, not " + maxErrorRate);
            }
            if (maxP99.isNegative() || maxP99.isZero()) {
                throw new IllegalArgumentException("max-p99 must be positive, not " + maxP99);
            }
            if (!(maxP99Ratio >= 1)) {
                throw new IllegalArgumentException("max-p99-ratio must be at least 1, not " + maxP99Ratio);
            }
            if (minRequests < 1) {
                throw new IllegalArgumentException("min-requests must be at least 1, not " + minRequests);
            }
        }
    }

    /**
     * One check's figures over a step's window.
     *
     * @param name   {@code requests}, {@code error-rate} or {@code p99}
     * @param passed whether the canary passed it
     * @param canary the canary's figure (requests; error rate as a fraction; p99 in ms)
     * @param stable the stable version's figure over the same window
     * @param limit  what the canary had to stay within (at least, for requests)
     */
    public record Check(String name, boolean passed, double canary, double stable, double limit) {
    }

    public Release {
        steps = List.copyOf(steps);
        checks = List.copyOf(checks);
        history = List.copyOf(history);
        if (history.size() > MAX_HISTORY) { // keep how it began and the latest changes
            List<Event> kept = new java.util.ArrayList<>(MAX_HISTORY);
            kept.add(history.getFirst());
            kept.addAll(history.subList(history.size() - MAX_HISTORY + 1, history.size()));
            history = List.copyOf(kept);
        }
        if (from < 1 || to < 1 || from == to) {
            throw new IllegalArgumentException("a release goes from one version to another, not " + from + " -> " + to);
        }
        if (steps.isEmpty() || steps.size() > MAX_STEPS) {
            throw new IllegalArgumentException("a release has 1 to " + MAX_STEPS + " steps, not " + steps.size());
        }
        int previous = 0;
        for (int s : steps) {
            if (s <= previous || s > 100) {
                throw new IllegalArgumentException("steps " + steps + " must increase strictly, each 1 to 100");
            }
            previous = s;
        }
        if (step < 0 || step >= steps.size()) {
            throw new IllegalArgumentException("step " + step + " is outside the steps " + steps);
        }
        reason = reason == null ? "" : reason;
    }

    /** The canary's percent at the current step. */
    public int percent() {
        return steps.get(step);
    }

    public boolean lastStep() {
        return step == steps.size() - 1;
    }

    /** The same release in {@code s}, for {@code why}, at {@code now}; the change joins the history. */
    public Release with(State s, String why, Instant now) {
        int pct = s == State.ROLLED_BACK ? 0 : s == State.PROMOTED ? 100 : percent();
        return new Release(from, to, steps, settings, s, step, startedAt, stepStartedAt, now, why, checks,
                append(new Event(now, s == State.RUNNING ? "resumed" : s.label(), step, pct, why)));
    }

    /** The next step, its window opening at {@code now}; the step joins the history. */
    public Release nextStep(String why, Instant now) {
        return new Release(from, to, steps, settings, state, step + 1, startedAt, now, now, why, List.of(),
                append(new Event(now, "step", step + 1, steps.get(step + 1), why)));
    }

    /** The current step's window opened again at {@code now} (a new leader, a resume). */
    public Release windowFrom(Instant now) {
        return new Release(from, to, steps, settings, state, step, startedAt, now, now, reason, List.of(), history);
    }

    /** The figures of a judgement that changes nothing else (not an entry of the history). */
    public Release withChecks(List<Check> c, String why, Instant now) {
        return new Release(from, to, steps, settings, state, step, startedAt, stepStartedAt, now, why, c, history);
    }

    private List<Event> append(Event e) {
        List<Event> h = new java.util.ArrayList<>(history);
        h.add(e);
        return h;
    }

    /** The split of the alias {@code live} this release wants now (all to the stable version once rolled back). */
    public Alias wanted(java.util.Optional<Alias.Sticky> sticky) {
        return switch (state) {
            case ROLLED_BACK -> Alias.single(from).withSticky(sticky);
            case PROMOTED -> Alias.single(to).withSticky(sticky);
            default -> percent() == 100 ? Alias.single(to).withSticky(sticky) : Alias.split(from, to, percent(), sticky);
        };
    }
}
