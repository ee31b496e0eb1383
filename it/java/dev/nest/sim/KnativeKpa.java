package dev.nest.sim;

/**
 * Knative Serving's KPA decider (pkg/autoscaler/scaling/autoscaler.go) with its published defaults, for the
 * comparison: desired pods from the average concurrency over a 60 s stable window, target = container
 * concurrency x 70% target utilization; a 6 s panic window (10% of stable) whose desired count, when at least
 * 200% of the ready pods, enters panic mode (no scale-down until the stable window passes without panic);
 * scale-up at most 1000x and scale-down at most /2 per 2 s tick; scale to zero once the decider says zero and
 * the 30 s grace period has passed. The activator wakes the decider when a request arrives for a function with
 * no pod. Not modelled: the activator's burst capacity, pod readiness probes beyond the cold-start cost.
 */
final class KnativeKpa {

    /** The KPA's knobs; {@link #DEFAULTS} are Knative's published defaults. */
    record Settings(double containerConcurrency, double targetUtilization, long stableWindowMs, long panicWindowMs,
                    double panicThreshold, double maxScaleUpRate, double maxScaleDownRate, long scaleToZeroGraceMs,
                    long tickMs) {
        static final Settings DEFAULTS = new Settings(1, 0.7, 60_000, 6_000, 2.0, 1000, 2.0, 30_000, 2_000);
    }

    private final Settings s;
    private boolean panic;
    private long panicTime;
    private int maxPanicPods;
    private long zeroSince = -1;

    KnativeKpa(Settings s) {
        this.s = s;
    }

    /**
     * @param stable  average concurrency over the stable window
     * @param panicV  average concurrency over the panic window
     * @param ready   ready pods
     * @param current pods (ready and starting)
     * @param waiting requests buffered (activator/queue-proxy)
     * @param poke    the activator woke the decider for a request with no pod
     */
    int decide(long now, double stable, double panicV, int ready, int current, int waiting, boolean poke) {
        double target = s.containerConcurrency() * s.targetUtilization();
        double readyPods = Math.max(1, ready);
        double dspc = Math.ceil(stable / target - 1e-9);
        double dppc = Math.ceil(panicV / target - 1e-9);
        double maxUp = Math.ceil(s.maxScaleUpRate() * readyPods);
        double maxDown = Math.floor(readyPods / s.maxScaleDownRate());
        int desiredStable = (int) Math.min(Math.max(dspc, maxDown), maxUp);
        int desiredPanic = (int) Math.min(Math.max(dppc, maxDown), maxUp);
        boolean over = dppc / readyPods >= s.panicThreshold();
        if (over) {
            if (!panic) {
                panic = true;
            }
            panicTime = now;
        } else if (panic && now - panicTime >= s.stableWindowMs()) {
            panic = false;
            maxPanicPods = 0;
        }
        int desired;
        if (panic) {
            maxPanicPods = Math.max(maxPanicPods, desiredPanic);
            desired = maxPanicPods;
        } else {
            desired = desiredStable;
        }
        if (desired == 0 && waiting > 0 && (poke || current == 0)) {
            desired = 1; // the activator holds a request: scale from zero
        }
        if (desired == 0) {
            if (zeroSince < 0) {
                zeroSince = now;
            }
            if (now - zeroSince < s.scaleToZeroGraceMs()) {
                desired = Math.min(current, 1);
            }
        } else {
            zeroSince = -1;
        }
        return desired;
    }
}
