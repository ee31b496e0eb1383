package dev.nest.release;

import dev.nest.function.Alias;
import dev.nest.function.Release;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The judgement of one step of a canary release: a pure function of the release, the alias {@code live} as it stands,
 * the stable and canary versions' requests over the same window, when that window opened and the time now.
 *
 * <p>The checks, over the step's window:
 * <ul>
 *   <li>{@code requests}: the canary has served at least {@code min-requests}; until then the step waits (it is
 *       never passed, and never failed, on fewer).</li>
 *   <li>{@code error-rate}: the canary's error rate exceeds the stable version's by at most {@code max-error-rate}.
 *       The stable version counts only with at least {@code min-requests} of its own in the window (at a step of 100
 *       it has none); otherwise the canary's rate is compared with 0.</li>
 *   <li>{@code p99}: the canary's p99 latency is at most {@code max-p99}, or at most {@code max-p99-ratio} times the
 *       stable version's (when that counts, as above), so that a canary no slower than a slow stable version passes.</li>
 * </ul>
 * A failed check fails the step at once (it does not wait for the window to close); a step whose checks pass is
 * passed once its window is {@code interval} old. A live alias that no longer carries the split the release set
 * (changed or removed outside it) ends the release.
 */
public final class ReleaseAnalysis {
    private ReleaseAnalysis() {
    }

    /** What the leader does with a step. */
    public sealed interface Verdict {
        String reason();

        List<Release.Check> checks();

        /** Keep the split; judge again later. */
        record Wait(String reason, List<Release.Check> checks) implements Verdict {
        }

        /** A check failed: all traffic back to the stable version. */
        record Fail(String reason, List<Release.Check> checks) implements Verdict {
        }

        /** The step passed: the next step, or promotion after the last. */
        record Pass(String reason, List<Release.Check> checks) implements Verdict {
        }

        /** The release cannot go on (its alias changed underneath it): all traffic back to the stable version. */
        record Abort(String reason, List<Release.Check> checks) implements Verdict {
        }
    }

    public static Verdict judge(Release release, Optional<Alias> live, Window stable, Window canary, Instant windowOpened,
                                Instant now) {
        Release.Settings s = release.settings();
        Alias wanted = release.wanted(Optional.empty());
        if (live.isEmpty() || !live.get().weights().equals(wanted.weights())) {
            return new Verdict.Abort("the alias live " + live.map(a -> "is now " + a.weights()).orElse("is gone")
                    + " instead of " + wanted.weights() + " (changed outside the release); all traffic back to version "
                    + release.from(), List.of());
        }
        String step = "step " + (release.step() + 1) + " of " + release.steps().size() + " (" + release.percent() + "%)";
        boolean stableCounts = stable.requests() >= s.minRequests();
        Release.Check requests = new Release.Check("requests", canary.requests() >= s.minRequests(), canary.requests(),
                stable.requests(), s.minRequests());
        if (!requests.passed()) {
            return new Verdict.Wait(step + ": waiting for requests to the canary: " + canary.requests() + " of "
                    + s.minRequests(), List.of(requests));
        }
        double baseline = stableCounts ? stable.errorRate() : 0;
        double errorLimit = baseline + s.maxErrorRate();
        Release.Check errors = new Release.Check("error-rate", canary.errorRate() <= errorLimit + 1e-12,
                canary.errorRate(), stable.errorRate(), errorLimit);
        double p99Limit = Math.max(s.maxP99().toMillis(), stableCounts ? stable.p99Ms() * s.maxP99Ratio() : 0);
        Release.Check latency = new Release.Check("p99", canary.p99Ms() <= p99Limit, canary.p99Ms(), stable.p99Ms(), p99Limit);
        List<Release.Check> checks = List.of(requests, errors, latency);
        if (!errors.passed()) {
            return new Verdict.Fail(step + ": error rate " + pct(canary.errorRate()) + " over " + canary.requests()
                    + " requests, above the limit " + pct(errorLimit) + " (stable " + (stableCounts ? pct(baseline)
                    : "not counted: " + stable.requests() + " requests") + ")", checks);
        }
        if (!latency.passed()) {
            return new Verdict.Fail(step + ": p99 " + ms(canary.p99Ms()) + " over " + canary.requests()
                    + " requests, above the limit " + ms(p99Limit) + " (stable " + (stableCounts ? ms(stable.p99Ms())
                    : "not counted: " + stable.requests() + " requests") + ")", checks);
        }
        Duration open = Duration.between(windowOpened, now);
        if (open.compareTo(s.interval()) < 0) {
            return new Verdict.Wait(step + ": healthy so far (" + canary.requests() + " requests); judged "
                    + ms(s.interval().minus(open).toMillis()) + " from now", checks);
        }
        return new Verdict.Pass(step + " passed: error rate " + pct(canary.errorRate()) + ", p99 " + ms(canary.p99Ms())
                + " over " + canary.requests() + " requests", checks);
    }

    private static String pct(double fraction) {
        return String.format(Locale.ROOT, "%.2f%%", fraction * 100);
    }

    private static String ms(double ms) {
        return String.format(Locale.ROOT, "%.0f ms", ms);
    }
}
