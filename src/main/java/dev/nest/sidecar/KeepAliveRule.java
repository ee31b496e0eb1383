package dev.nest.sidecar;

import dev.nest.function.ScalingSpec;
import java.time.Duration;
import java.util.Optional;

/**
 * Which idle instances of a version reconciliation stops: a pure function of the version's situation, with no
 * clock, threads or I/O of its own.
 *
 * <ul>
 *   <li>The live version keeps {@code scaling.min} instances, or {@code max(scaling.min, target)} while the
 *       autoscaler sets a target; a version that is not live keeps none.</li>
 *   <li>Above that, an instance of the live version stops once idle for {@code scaling.keep-alive}; under a target
 *       at once, except within {@code scaling.keep-alive} of the version becoming live again (the scaler has not
 *       seen those instances yet, and a rollback should find them warm), and except while the version has an
 *       instance that started after the target was set ({@code unseen}: a request that came after the scaler's
 *       decision started it, and the scaler, woken by that request, has not answered yet; a target of 0 set before
 *       a function's first request would otherwise stop the instance that has just served it).</li>
 *   <li>An instance of a version that is no longer live stops once idle for {@code sidecar.previous-version-keep-alive}.</li>
 *   <li>Idle time counts from the instance's last request, and at the earliest from the version's last change
 *       between live and not live: an instance is not idle by choice while its version is not live.</li>
 * </ul>
 */
record KeepAliveRule(Duration previousVersionKeepAlive) {
    /**
     * A version's situation; {@code Long.MIN_VALUE} as change time for a version live all along; {@code unseen} when
     * one of its instances started after the target was last set.
     */
    record Situation(boolean live, long liveChangedNanos, ScalingSpec scaling, Optional<Integer> target,
                     boolean unseen) {
        /** A situation without instances the scaler has not seen. */
        Situation(boolean live, long liveChangedNanos, ScalingSpec scaling, Optional<Integer> target) {
            this(live, liveChangedNanos, scaling, target, false);
        }
    }

    /**
     * What reconciliation does with one version's idle instances now: at least {@code keep} instances stay; of
     * the others, those idle for {@code idleLimitNanos} or longer (counted from {@code countFromNanos} at the
     * earliest) stop, oldest first.
     */
    record Policy(int keep, long idleLimitNanos, long countFromNanos) {
        /** Whether an instance whose last request ended at {@code lastUsedNanos} has been idle too long at {@code nowNanos}. */
        boolean expired(long lastUsedNanos, long nowNanos) {
            long from = countFromNanos == Long.MIN_VALUE ? lastUsedNanos : Math.max(lastUsedNanos, countFromNanos);
            return nowNanos - from >= idleLimitNanos;
        }
    }

    /** The policy for a version in situation {@code s} at {@code nowNanos}. */
    Policy policy(Situation s, long nowNanos) {
        long fnKeepAlive = s.scaling().keepAlive().toNanos();
        if (!s.live()) {
            return new Policy(0, previousVersionKeepAlive.toNanos(), s.liveChangedNanos());
        }
        int min = s.scaling().min();
        if (s.target().isEmpty()) {
            return new Policy(min, fnKeepAlive, s.liveChangedNanos());
        }
        boolean justBack = s.liveChangedNanos() != Long.MIN_VALUE && nowNanos - s.liveChangedNanos() < fnKeepAlive;
        return new Policy(Math.max(min, s.target().get()), justBack || s.unseen() ? fnKeepAlive : 0,
                s.liveChangedNanos());
    }
}
