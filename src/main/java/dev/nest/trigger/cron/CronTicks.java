package dev.nest.trigger.cron;

import dev.nest.function.CronExpression;
import dev.nest.trigger.InvocationSink.RunState;
import dev.nest.trigger.StopResult;
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
    /**
     * Missed ticks are counted up to this many: a count shown as this many means at least this many. Each tick walked
     * costs a cron-utils step (tens of microseconds), so a day's outage of a per-second schedule is not walked through
     * on the new leader's timer threads, which every cron trigger of the region shares.
     */
    static final int MAX_COUNTED = 1_000;

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
     * What a tick that is due does, given the policy, the previous run's state on this node and, under
     * {@code replace}, what stopping it came to ({@code stop}: empty until it was tried for this run and tick).
     * <ul>
     * <li>a previous run that ended here ({@link RunState#FINISHED}) never holds a tick back;</li>
     * <li>{@code allow} fires; {@code forbid} skips while the run waits or runs here, and fires when this node does not
     *     know it ({@link RunState#UNKNOWN}: enqueued on another node before a failover);</li>
     * <li>{@code replace} stops the previous run first, also one this node does not know (the node its id names is
     *     asked, see {@code RegionStops}); after the stop it fires when the run is over (stopped, had ended, or no node
     *     knows it) and skips when it could not be stopped or its node could not be asked, so that two runs never
     *     overlap.</li>
     * </ul>
     */
    static Admission admit(CronSettings.Concurrency policy, RunState previous, Optional<StopResult.Outcome> stop) {
        if (previous == RunState.FINISHED) {
            return Admission.FIRE;
        }
        return switch (policy) {
            case ALLOW -> Admission.FIRE;
            case FORBID -> previous == RunState.UNKNOWN ? Admission.FIRE : Admission.SKIP;
            case REPLACE -> stop.isEmpty() ? Admission.REPLACE
                    : stop.get().over() ? Admission.FIRE : Admission.SKIP;
        };
    }

    /** When the round after {@code now} should run: the next tick, if the schedule has one. */
    static Optional<Instant> next(CronExpression cron, ZoneId zone, Instant now) {
        return cron.next(now, zone);
    }
}
