package dev.nest.scaler;

import dev.nest.function.MetricType;
import dev.nest.function.MetricTarget;
import dev.nest.function.ScheduleRule;
import dev.nest.common.Durations;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalDouble;

/** The rules documented on {@link Scaler}. */
final class WindowedScaler implements Scaler {
    /** Relative band around the current count within which the stable window changes nothing. */
    static final double TOLERANCE = 0.10;
    /** Headroom a scale-down keeps above the stable window's need (none: the 10% band of scale-up is enough). */
    static final double TOLERANCE_DOWN = 0;
    /**
     * Standard deviations of the arrival noise a scale-up at once adds on top of the requests it sees (square-root
     * staffing: R + beta x sqrt(R) requests for an offered load of R in flight).
     */
    static final double ARRIVAL_HEADROOM = 2;
    /**
     * How many times the stable window's average the load a scale-up at once reads (requests in flight now, or the
     * short window's average) must be for it to be a step of the load, which gets the arrival headroom, rather than
     * a peak of a steady load, which gets none: a Poisson load of 5 in flight shows 15 at once in 1 of 5,000 seconds.
     */
    static final double STEP = 3;
    /**
     * The fewest requests (the larger of the offered load and those in flight) for which a step that only fills the
     * instances, without needing more of them, gets the arrival headroom: below it the headroom is larger than the
     * load itself (2 sqrt(R) > R), and a caller that sends its next request when the last answered (one sequential
     * client) never has more in flight than it has instances, so instances asked for its noise would only idle.
     */
    static final double OFFERED_STEP_MIN = 4;
    private static final double EPS = 1e-9;
    static final WindowedScaler INSTANCE = new WindowedScaler(true, TOLERANCE_DOWN, true);
    static final WindowedScaler AVERAGE_ONLY = new WindowedScaler(false, TOLERANCE_DOWN, true);

    /** Whether the stable window's need includes the peak concurrency (at full target), not just the average. */
    private final boolean holdPeak;
    private final double downHeadroom;
    /** Whether a concurrency target x utilization is at least one whole request. */
    private final boolean wholeRequests;

    /** The short scale-down of instances above the steady need ({@link BurstRelease#OFF}: none). */
    private final BurstRelease burst;
    /** Beta of the square-root headroom a concurrency scale-up at once adds (0: none). */
    private final double arrivalHeadroom;

    WindowedScaler(boolean holdPeak, double downHeadroom, boolean wholeRequests) {
        this(holdPeak, downHeadroom, wholeRequests, BurstRelease.OFF);
    }

    WindowedScaler(boolean holdPeak, double downHeadroom, boolean wholeRequests, BurstRelease burst) {
        this(holdPeak, downHeadroom, wholeRequests, burst, ARRIVAL_HEADROOM);
    }

    WindowedScaler(boolean holdPeak, double downHeadroom, boolean wholeRequests, BurstRelease burst,
                   double arrivalHeadroom) {
        if (!(arrivalHeadroom >= 0 && arrivalHeadroom <= 10)) {
            throw new IllegalArgumentException("arrival headroom " + arrivalHeadroom + " is outside 0..10");
        }
        this.holdPeak = holdPeak;
        this.downHeadroom = downHeadroom;
        this.wholeRequests = wholeRequests;
        this.burst = java.util.Objects.requireNonNull(burst, "burst");
        this.arrivalHeadroom = arrivalHeadroom;
    }

    @Override
    public Scaler withoutBurstRelease() {
        return burst.enabled()
                ? new WindowedScaler(holdPeak, downHeadroom, wholeRequests, BurstRelease.OFF, arrivalHeadroom) : this;
    }

    @Override
    public Duration history() {
        return burst.enabled() ? burst.window() : Duration.ZERO;
    }

    @Override
    public Decision decide(FunctionMetrics m, ScalingConfig c, Instant now, ScalerState prev) {
        int seen = Math.max(0, m.instances());
        // instances beyond the last decision count as current only as far as requests need them now (a node
        // starts instances for requests that wait, and those are adopted); others (a move or a re-placement under
        // way, an instance draining) are not, or every such overlap would raise the count it placed. A fresh
        // state (first decision, or a new leader) takes what exists.
        int current = prev.equals(ScalerState.initial()) ? seen
                : Math.max(prev.desired(), Math.min(seen, demand(m, c)));
        boolean rose = seen > prev.seen();
        boolean idle = m.inFlight() == 0 && m.idleSince().isPresent();

        // the metrics: the largest need over the declared metrics, on both windows
        Instant stableFrom = now.minus(c.stableWindow());
        Instant upFrom = now.minus(c.upWindow());
        double stableNeed = 0;
        double upFull = 0;
        MetricTarget stableBy = c.metrics().getFirst();
        MetricTarget upBy = stableBy;
        double stableValue = 0;
        double upValue = 0;
        boolean byPeak = false;
        boolean upNow = false;
        boolean upStep = false;
        OfferedLoad upOffered = null;
        Optional<OfferedLoad> offered = m.offered();
        boolean measured = false;
        for (MetricTarget t : c.metrics()) {
            measured |= m.average(t.type(), stableFrom).isPresent();
            double s = value(m.average(t.type(), stableFrom));
            double u = value(m.average(t.type(), upFrom));
            boolean instantaneous = false;
            if (t.type() == MetricType.CONCURRENCY && m.inFlight() > u
                    && m.inFlight() / t.target() > current * (1 + TOLERANCE) + EPS) {
                // requests in flight or waiting right now, clearly more than the instances carry: a step shows here
                // a whole window before it shows in an average (the band keeps noise around a full count calm)
                u = m.inFlight();
                instantaneous = true;
            }
            OfferedLoad by = null;
            if (t.type() == MetricType.CONCURRENCY && current > 0 && offered.isPresent()) {
                // the offered load (arrival rate x execution time) reads a step as soon as the arrivals change,
                // while the requests in flight lag it (requests wait for instances, and a node starts one per
                // waiting request, which the count adopts one by one); read only on a step over more than the
                // instances carry, so that a steady load's noise in the rate does not move the count
                // instances sized from the larger of the offered load and the requests in flight, with the arrival
                // headroom, once they fill the instances: most of a step's first increases are instances the node
                // started for waiting requests, adopted, so the requests in flight equal the count and only the
                // headroom asks for more
                double o = Math.max(offered.get().requests(), m.inFlight());
                if (o > STEP * s + EPS && o > OFFERED_STEP_MIN - EPS && o / t.target() > current - EPS
                        && (o + arrivalHeadroom * Math.sqrt(o)) / t.target() > current * (1 + TOLERANCE) + EPS) {
                    u = o;
                    instantaneous = false;
                    by = offered.get();
                }
            }
            boolean step = u > STEP * s + EPS;
            double tu = t.target() * c.utilization();
            if (wholeRequests && t.type() == MetricType.CONCURRENCY) {
                tu = Math.max(Math.min(1, t.target()), tu); // an instance cannot carry 0.7 of a request
            }
            if (s / tu > stableNeed) {
                stableNeed = s / tu;
                stableBy = t;
                stableValue = s;
                byPeak = false;
            }
            if (holdPeak && t.type() == MetricType.CONCURRENCY) {
                double p = value(m.peak(t.type(), stableFrom));
                if (p / t.target() > stableNeed) {
                    stableNeed = p / t.target();
                    stableBy = t;
                    stableValue = p;
                    byPeak = true;
                }
            }
            if (u / t.target() > upFull) {
                upFull = u / t.target();
                upBy = t;
                upValue = u;
                upNow = instantaneous;
                upStep = step;
                upOffered = by;
            }
        }
        int stableCount = ceil(stableNeed);

        // the floors: min and the active schedule rules
        int floor = c.min();
        String floorWhy = floor > 0 ? "min " + floor : "";
        ScalingRule floorRule = ScalingRule.MIN;
        for (ScheduleRule r : c.schedule()) {
            if (r.min() > floor) {
                Optional<Instant> until = r.activeUntil(now);
                if (until.isPresent()) {
                    floor = r.min();
                    floorRule = ScalingRule.SCHEDULE;
                    floorWhy = "min " + r.min() + " from schedule '" + r.cron() + "' (" + r.timezone().getId()
                            + ") until " + until.get();
                }
            }
        }

        StringBuilder why = new StringBuilder(160);
        int metricDesired;
        ScalingRule rule = ScalingRule.METRIC;
        Optional<Instant> lowSince = Optional.empty();
        int lowMax = 0;
        Optional<Instant> wakeAt = Optional.empty();
        // a function scaled to zero that is still idle stays there: its windows still hold the requests from before
        // it went idle, and a new request wakes the scaler (and starts an instance) by itself
        boolean dormant = current == 0 && idle;
        if (!measured && !idle && current > 0) {
            // none of the declared metrics has a sample (CPU or memory on a driver that cannot read them): no
            // number says more or fewer, so the count holds; waiting requests still start instances on their node
            metricDesired = current;
            why.append("hold ").append(current).append(": ");
            if (floor >= current && floor > 0) {
                rule = floorRule;
                why.append(floorWhy).append("; ");
            }
            why.append("no sample of ");
            why.append(String.join(", ", c.metrics().stream().map(t -> t.type().key()).toList()));
            why.append(" over ").append(Durations.format(c.stableWindow()))
                    .append(" (no instance measured yet, or the driver does not report it)");
        } else if ((upFull > current + EPS || upOffered != null) && !dormant) {
            // capacity now, sized for the arrival noise of the load seen: a step's requests in flight keep rising
            // over the next seconds as random peaks come, and a count that only follows the peaks seen is late for
            // each of them; the stable window adds the utilization headroom as its average catches up
            int sized = ceil(upFull);
            double noise = 0;
            if (upBy.type() == MetricType.CONCURRENCY && arrivalHeadroom > 0 && current > 0 && (upStep || upOffered != null)) {
                // only on a step (the load read at least STEP times the stable window's average): the peak of a
                // steady load is not a new rate, and headroom on it would be released and asked for again; and not
                // from zero: requests waiting on a function with no instance are not yet a rate, they start one
                // instance each and the keep-alive policy decides on the first
                noise = arrivalHeadroom * Math.sqrt(upValue);
                sized = ceil((upValue + noise) / upBy.target());
            }
            metricDesired = Math.max(sized, stableCount);
            why.append("up at once: ");
            if (upOffered != null) {
                why.append("offered load ").append(round(upOffered.requests())).append(" (")
                        .append(round(upOffered.arrivalsPerSecond())).append(" arrivals/s x ")
                        .append(round(upOffered.executionSeconds())).append(" s execution), ").append(m.inFlight())
                        .append(" in flight and waiting");
            } else if (upNow) {
                why.append(upBy.type().key()).append(' ').append(round(upValue)).append(" now (in flight and waiting)");
            } else {
                metric(why, upBy, upValue, c.upWindow());
            }
            why.append(" is more than ").append(current).append(" instance(s) carry at target ")
                    .append(ScalingConfig.number(upBy.target())).append("; needs ").append(sized);
            if (noise > 0) {
                why.append(" with arrival headroom ").append(round(noise)).append(" (")
                        .append(ScalingConfig.number(arrivalHeadroom)).append(" x sqrt of ").append(round(upValue))
                        .append(')');
            }
            why.append(" now, ").append(stableCount).append(" over ").append(Durations.format(c.stableWindow()));
        } else if (stableCount > current && stableNeed > current * (1 + TOLERANCE) && !dormant) {
            metricDesired = stableCount;
            why.append("up: ");
            metric(why, stableBy, stableValue, c.stableWindow(), byPeak);
            needs(why, stableBy, stableCount, c, byPeak);
        } else {
            // a scale-down may keep headroom above the need (downHeadroom); the next scale-up needs a 10% rise
            int candidate = Math.min(current, ceil(stableNeed * (1 + downHeadroom)));
            if (idle && candidate <= 1) {
                candidate = 0; // the last instance of an idle function follows the keep-alive policy
            }
            // the metrics want fewer, but the floor holds these: no scale-down is pending
            boolean atFloor = candidate < current && floor >= current;
            candidate = Math.max(candidate, Math.min(floor, current));
            if (atFloor) {
                metricDesired = current;
                rule = floorRule;
                why.append("hold ").append(current).append(": ").append(floorWhy).append("; ");
                metric(why, stableBy, stableValue, c.stableWindow(), byPeak);
                needs(why, stableBy, stableCount, c, byPeak);
            } else if (candidate >= current) {
                metricDesired = current;
                if (current > 0) {
                    why.append("hold ").append(current).append(": ");
                    metric(why, stableBy, stableValue, c.stableWindow(), byPeak);
                    needs(why, stableBy, stableCount, c, byPeak);
                    why.append(" (within ").append(Math.round(TOLERANCE * 100)).append("% of ").append(current).append(')');
                }
            } else if (candidate == 0 && current <= 1 && idle) {
                metricDesired = 0;
            } else {
                Instant since = rose || prev.lowSince().isEmpty() ? now : prev.lowSince().get();
                int highest = rose || prev.lowSince().isEmpty() ? candidate : Math.max(prev.lowMax(), candidate);
                Duration held = Duration.between(since, now);
                int keep = held.compareTo(c.scaleDownDelay()) >= 0 ? current : burstKeep(m, c, now, current, highest, held);
                if (held.compareTo(c.scaleDownDelay()) >= 0) {
                    int step = c.maxScaleDownStep().allowed(current);
                    metricDesired = Math.max(highest, current - step);
                    lowSince = Optional.of(since);
                    lowMax = candidate;
                    why.append("down: ");
                    metric(why, stableBy, stableValue, c.stableWindow(), byPeak);
                    why.append(" has needed at most ").append(highest).append(" for ").append(Durations.format(held))
                            .append(" (scale-down-delay ").append(Durations.format(c.scaleDownDelay()))
                            .append("); step at most ").append(step).append(" (max-scale-down-step ")
                            .append(c.maxScaleDownStep()).append(')');
                    if (metricDesired > candidate) {
                        wakeAt = Optional.of(now);
                    }
                    if (metricDesired > highest) {
                        rule = ScalingRule.STEP;
                    }
                } else if (keep < current) {
                    // instances above the steady need (a burst's) go after the short release time
                    int step = c.maxScaleDownStep().allowed(current);
                    metricDesired = Math.max(keep, current - step);
                    lowSince = Optional.of(since);
                    lowMax = highest;
                    rule = metricDesired > keep ? ScalingRule.STEP : ScalingRule.BURST_RELEASE;
                    wakeAt = Optional.of(metricDesired > keep ? now : since.plus(c.scaleDownDelay()));
                    why.append("down: ");
                    metric(why, stableBy, stableValue, c.stableWindow(), byPeak);
                    why.append(" has needed at most ").append(highest).append(" for ").append(Durations.format(held))
                            .append("; steady need ").append(keep).append(" (concurrency p")
                            .append(ScalingConfig.number(burst.quantile())).append(" over ")
                            .append(Durations.format(burst.window())).append("): instances above it go after ")
                            .append(Durations.format(burst.after())).append(" (burst release); step at most ")
                            .append(step);
                } else {
                    metricDesired = current;
                    lowSince = Optional.of(since);
                    lowMax = highest;
                    wakeAt = Optional.of(since.plus(burst.enabled() && held.compareTo(burst.after()) < 0
                            ? burst.after() : c.scaleDownDelay()));
                    rule = ScalingRule.SCALE_DOWN_DELAY;
                    why.append("hold ").append(current).append(": ");
                    metric(why, stableBy, stableValue, c.stableWindow(), byPeak);
                    needs(why, stableBy, stableCount, c, byPeak);
                    why.append("; lower count held ").append(Durations.format(held)).append(" of ")
                            .append(Durations.format(c.scaleDownDelay())).append(" scale-down-delay");
                }
            }
        }

        // floors: min, schedule, a waiting request, the keep-alive policy
        int desired = metricDesired;
        if (floor > desired) {
            desired = floor;
            rule = floorRule;
            sep(why).append(floorWhy);
        }
        if (desired == 0) {
            if (m.inFlight() > 0) {
                desired = 1;
                rule = ScalingRule.WAITING;
                sep(why).append(m.inFlight()).append(" request(s) waiting: start one at once");
            } else if (m.idleSince().isPresent()) {
                Duration idleFor = Duration.between(m.idleSince().get(), now);
                KeepAliveWindow w = c.keepAlivePolicy().window(m.idleTimes());
                Duration until = w.warmUntil().compareTo(c.scaleToZeroAfter()) < 0 ? w.warmUntil() : c.scaleToZeroAfter();
                boolean warm = idleFor.compareTo(w.warmFrom()) >= 0 && idleFor.compareTo(until) < 0;
                sep(why).append("idle ").append(Durations.format(idleFor.withNanos(0))).append(": ").append(w.reason());
                if (until.compareTo(w.warmUntil()) < 0) {
                    why.append(", capped by scale-to-zero-after ").append(Durations.format(c.scaleToZeroAfter()));
                }
                rule = ScalingRule.SCALE_TO_ZERO;
                if (warm) {
                    desired = 1;
                    rule = ScalingRule.KEEP_ALIVE;
                    why.append(w.warmFrom().isZero() ? " -> keep 1 warm" : " -> pre-warm 1");
                    wakeAt = earliest(wakeAt, m.idleSince().get().plus(until));
                } else if (idleFor.compareTo(w.warmFrom()) < 0) {
                    why.append(" -> none until the pre-warm point");
                    rule = ScalingRule.KEEP_ALIVE;
                    wakeAt = earliest(wakeAt, m.idleSince().get().plus(w.warmFrom()));
                } else {
                    why.append(" -> scale to zero");
                }
            } else {
                sep(why).append("no traffic");
                rule = ScalingRule.SCALE_TO_ZERO;
            }
        }
        if (desired > c.max()) {
            desired = c.max();
            rule = ScalingRule.MAX;
            sep(why).append("capped at max ").append(c.max());
        }
        ScalerState state = new ScalerState(desired, lowSince, lowMax, seen);
        return new Decision(desired, seen, why.toString(), rule, state, wakeAt);
    }

    /** What {@link BurstRelease#keep} keeps now (the current count while the rule is off or not yet due). */
    private int burstKeep(FunctionMetrics m, ScalingConfig c, Instant now, int current, int highest, Duration held) {
        if (!burst.enabled() || held.compareTo(burst.after()) < 0) {
            return current;
        }
        double perInstance = 1;
        for (MetricTarget t : c.metrics()) {
            if (t.type() == MetricType.CONCURRENCY) {
                perInstance = t.target();
            }
        }
        // the steady need, as the peak, at the full target; unknown (no sample) keeps everything
        OptionalDouble q = m.quantile(MetricType.CONCURRENCY, now.minus(burst.window()), burst.quantile());
        double steady = q.isPresent() ? q.getAsDouble() : Double.POSITIVE_INFINITY;
        return burst.keep(current, highest, steady, perInstance, demand(m, c), held);
    }

    private static double value(OptionalDouble d) {
        return d.isPresent() ? Math.max(0, d.getAsDouble()) : 0;
    }

    private static int ceil(double needed) {
        return (int) Math.min(Integer.MAX_VALUE, Math.ceil(needed - EPS));
    }

    private static Optional<Instant> earliest(Optional<Instant> a, Instant b) {
        return a.isEmpty() || b.isBefore(a.get()) ? Optional.of(b) : a;
    }

    /** Instances the requests in flight and waiting fill now, at the concurrency target (one each without one). */
    private static int demand(FunctionMetrics m, ScalingConfig c) {
        double perInstance = 1;
        for (MetricTarget t : c.metrics()) {
            if (t.type() == MetricType.CONCURRENCY) {
                perInstance = t.target();
            }
        }
        return (int) Math.ceil(m.inFlight() / perInstance - EPS);
    }

    private static StringBuilder sep(StringBuilder b) {
        return b.isEmpty() ? b : b.append("; ");
    }

    private static void metric(StringBuilder b, MetricTarget t, double value, Duration window) {
        metric(b, t, value, window, false);
    }

    private static void metric(StringBuilder b, MetricTarget t, double value, Duration window, boolean peak) {
        b.append(t.type().key()).append(' ').append(round(value)).append(peak ? " peak over " : " avg over ")
                .append(Durations.format(window));
    }

    private static void needs(StringBuilder b, MetricTarget t, int count, ScalingConfig c, boolean peak) {
        b.append(" needs ").append(count).append(" (target ").append(ScalingConfig.number(t.target()));
        if (!peak) {
            b.append(" x ").append(ScalingConfig.number(c.utilization()));
        }
        b.append(')');
    }

    private static String round(double v) {
        return v >= 100 ? String.valueOf(Math.round(v)) : String.valueOf(Math.round(v * 100) / 100.0);
    }
}
