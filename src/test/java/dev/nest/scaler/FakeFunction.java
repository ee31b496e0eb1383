package dev.nest.scaler;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A hand-written fake of one function driven by a test: it takes a concurrency sample every second, asks the
 * scaler, applies the decision at once (instances = desired) and counts the scale events.
 */
final class FakeFunction {
    final ScalingConfig config;
    final Scaler scaler;
    /** Samples kept: two minutes, or the scaler's history if longer. */
    private final int kept;
    final List<MetricSample> samples = new ArrayList<>();
    final List<Decision> decisions = new ArrayList<>();
    final List<Instant> events = new ArrayList<>();
    Instant now;
    int instances;
    int inFlight;
    Optional<Instant> idleSince = Optional.empty();
    IdleHistogram idleTimes = IdleHistogram.empty();
    ScalerState state = ScalerState.initial();

    /** A function deployed and idle for the two minutes before {@code start}: the collector reported zeros. */
    FakeFunction(ScalingConfig config, Instant start) {
        this(config, start, Scaler.windowed());
    }

    /** The same with {@code scaler}. */
    FakeFunction(ScalingConfig config, Instant start, Scaler scaler) {
        this.config = config;
        this.scaler = scaler;
        this.kept = (int) Math.max(120, scaler.history().toSeconds() + 1);
        this.now = start;
        for (int s = 119; s >= 0; s--) {
            samples.add(new MetricSample(start.minusSeconds(s), 0, 0, 0, 0));
        }
        idleSince = Optional.of(start.minusSeconds(119));
    }

    /** One second passes with {@code concurrency} on average; then the scaler decides. */
    Decision second(double concurrency) {
        now = now.plusSeconds(1);
        samples.add(new MetricSample(now, concurrency, 0, 0, 0));
        if (samples.size() > kept) {
            samples.removeFirst();
        }
        inFlight = (int) Math.ceil(concurrency);
        if (inFlight == 0 && idleSince.isEmpty()) {
            idleSince = Optional.of(now);
        } else if (inFlight > 0) {
            idleSince = Optional.empty();
        }
        return decide();
    }

    Decision decide() {
        Decision d = scaler.decide(new MetricSamples(samples, instances, inFlight, idleSince, idleTimes), config, now, state);
        state = d.state();
        if (d.desired() != instances) {
            events.add(now);
        }
        instances = d.desired();
        decisions.add(d);
        return d;
    }

    /** Seconds of constant load. */
    Decision run(Duration d, double concurrency) {
        Decision last = null;
        for (long i = 0; i < d.toSeconds(); i++) {
            last = second(concurrency);
        }
        return last;
    }

    long eventsAfter(Instant t) {
        return events.stream().filter(e -> e.isAfter(t)).count();
    }
}
