package dev.nest.trigger.cron;

import dev.nest.function.CronExpression;
import dev.nest.trigger.InvocationSink.RunState;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Optional;

/**
 * The cron trigger's decisions, as pure functions of the schedule, the last claimed tick and the time: which tick
 * is due, what missed ticks become ({@code misfire}), and whether a due tick fires given the previous run
 * ({@code concurrency}). Table-tested with fixed instants.
 */
final class CronTicks {
    /** A tick fired at most this late is on time; later ones were missed (the misfire policy decides). */
    static final Duration ON_TIME = Duration.ofSeconds(1);
    /** Missed ticks are counted up to this many (a long outage of a per-second schedule is not walked through). */
    static final int MAX_COUNTED = 100_000;

    private CronTicks() {
    }

    /**
     * What a round at {@code now} does.
     *
     * @param claim  the tick to record as claimed (the latest tick at or before now, after the last claimed one)
     * @param fire   whether that tick fires (it may be claimed and not fired: a missed tick under {@code skip}, or
     *               one too late for the starting deadline)
     * @param missed ticks after the last claimed one that do not fire (capped at {@link #MAX_COUNTED})
     */
    record Due(Instant claim, boolean fire, int missed) {
    }

    /**
     * The due tick, if any: the latest tick in {@code (lastClaimed, now]}. It fires when it is on time (at most
     * {@link #ON_TIME} late); a late one fires only under {@code fire-once} and within {@code deadline}. Earlier
     * ticks in the interval are missed (under {@code fire-once} the latest stands for them: they fire once).
     */
    static Optional<Due> due(CronExpression cron, ZoneId zone, Instant lastClaimed, Instant now,
                             CronSettings.Misfire misfire, Optional<Duration> deadline) {
        Optional<Instant> latest = cron.latest(now, zone).filter(t -> t.isAfter(lastClaimed));
        if (latest.isEmpty()) {
            return Optional.empty();
        }
        Instant tick = latest.get();
        int earlier = 0;
        for (Optional<Instant> t = cron.next(lastClaimed, zone); t.isPresent() && t.get().isBefore(tick)
                && earlier < MAX_COUNTED; t = cron.next(t.get(), zone)) {
            earlier++;
        }
        Duration late = Duration.between(tick, now);
        boolean fire = late.compareTo(ON_TIME) <= 0
                || misfire == CronSettings.Misfire.FIRE_ONCE && deadline.map(d -> late.compareTo(d) <= 0).orElse(true);
        return Optional.of(new Due(tick, fire, earlier + (fire ? 0 : 1)));
    }

    /** What a due tick does about the previous run. */
    enum Admission {
        /** It fires. */
        FIRE,
        /** It does not fire (counted as missed). */
        SKIP,
        /** The previous run is cancelled first (stopped where it runs); the tick is decided again after that. */
        REPLACE
    }

    /**
     * What a tick that is due does, given the policy and the previous run's state: an unfinished previous run (waiting
     * or running) lets it fire under {@code allow}, skips it under {@code forbid}, and is cancelled under
     * {@code replace}, unless that was tried already for this run and it is still unfinished (it could not be
     * stopped here: then the tick is skipped, so two runs never overlap). A previous run this node does not know
     * ({@link RunState#UNKNOWN}) does not hold a tick back.
     *
     * @param stopTried whether cancelling this previous run was tried already
     */
    static Admission admit(CronSettings.Concurrency policy, RunState previous, boolean stopTried) {
        if (previous != RunState.WAITING && previous != RunState.RUNNING) {
            return Admission.FIRE;
        }
        return switch (policy) {
            case ALLOW -> Admission.FIRE;
            case FORBID -> Admission.SKIP;
            case REPLACE -> stopTried ? Admission.SKIP : Admission.REPLACE;
        };
    }

    /** When the round after {@code now} should run: the next tick, if the schedule has one. */
    static Optional<Instant> next(CronExpression cron, ZoneId zone, Instant now) {
        return cron.next(now, zone);
    }
}
