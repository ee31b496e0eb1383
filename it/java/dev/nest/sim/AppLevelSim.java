package dev.nest.sim;

import dev.nest.scaler.IdleHistogram;
import dev.nest.scaler.KeepAlivePolicy;
import dev.nest.scaler.KeepAliveWindow;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The keep-alive comparison in the model of Shahrad et al. (USENIX ATC 2020, section 5): each function has at
 * most one instance (loaded or not), which serves every invocation that arrives while it is loaded, however
 * many overlap; an invocation that finds it unloaded is a cold start and loads it. After each busy period the
 * keep-alive policy decides, from the histogram of the function's idle times so far, when the instance is
 * unloaded and when it is pre-warmed. Wasted memory is the loaded-but-idle time times the function's memory.
 * Same arrivals (seed) as {@link FunctionSim}.
 */
final class AppLevelSim {
    private AppLevelSim() {
    }

    /** Figures of one policy summed over functions. */
    static final class AppTotals {
        long invocations;
        long coldStarts;
        double loadedMbMs;
        double idleMbMs;

        void add(AppTotals o) {
            invocations += o.invocations;
            coldStarts += o.coldStarts;
            loadedMbMs += o.loadedMbMs;
            idleMbMs += o.idleMbMs;
        }

        double idleGbSeconds() {
            return idleMbMs / 1024 / 1000;
        }
    }

    static AppTotals run(Trace.Function fn, int minutes, KeepAlivePolicy policy, long seed) {
        AppTotals t = new AppTotals();
        SplittableRandom random = new SplittableRandom(seed * 1_000_003L + fn.index());
        long end = minutes * 60_000L;
        long d = fn.durationMs();
        long busyStart = -1;
        long busyEnd = -1;
        long[] arrivals = new long[0];
        IdleHistogram histogram = IdleHistogram.empty();
        KeepAliveWindow window = null;
        for (int m = 0; m < fn.perMinute().length; m++) {
            int n = fn.perMinute()[m];
            if (arrivals.length != n) {
                arrivals = new long[n];
            }
            for (int i = 0; i < n; i++) {
                arrivals[i] = m * 60_000L + random.nextLong(60_000);
            }
            Arrays.sort(arrivals);
            for (long a : arrivals) {
                t.invocations++;
                if (busyEnd >= 0 && a <= busyEnd) {
                    busyEnd = Math.max(busyEnd, a + d);
                    continue;
                }
                if (busyEnd >= 0) {
                    // an idle period [busyEnd, a) ends: account the loaded time the policy chose within it
                    long idle = a - busyEnd;
                    long from = window.warmFrom().toMillis();
                    long until = window.warmUntil().toMillis();
                    boolean warm = idle >= from && idle < until;
                    long loaded = Math.max(0, Math.min(idle, until) - Math.min(idle, from));
                    account(t, fn, busyEnd, loaded, busyEnd + from, end);
                    accountBusy(t, fn, busyStart, busyEnd, end);
                    if (!warm) {
                        t.coldStarts++;
                    }
                    histogram = histogram.record(Duration.ofMillis(idle));
                } else {
                    t.coldStarts++; // the first invocation
                }
                busyStart = a;
                busyEnd = a + d;
                window = policy.window(histogram);
            }
        }
        if (busyEnd >= 0) {
            accountBusy(t, fn, busyStart, busyEnd, end);
            long from = window.warmFrom().toMillis();
            long until = window.warmUntil().toMillis();
            account(t, fn, busyEnd, Math.max(0, until - from), busyEnd + from, end);
        }
        return t;
    }

    private static void accountBusy(AppTotals t, Trace.Function fn, long from, long to, long end) {
        long ms = Math.max(0, Math.min(to, end) - Math.min(from, end));
        t.loadedMbMs += (double) ms * fn.memoryMb();
    }

    private static void account(AppTotals t, Trace.Function fn, long idleStart, long loaded, long loadedFrom, long end) {
        long ms = Math.max(0, Math.min(loadedFrom + loaded, end) - Math.min(loadedFrom, end));
        t.loadedMbMs += (double) ms * fn.memoryMb();
        t.idleMbMs += (double) ms * fn.memoryMb();
    }
}
