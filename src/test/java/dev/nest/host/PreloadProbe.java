package dev.nest.host;

/** A class whose initialisation is observable: the host's preload must initialise it, not just find it. */
final class PreloadProbe {
    static {
        JavaHostPreloadTest.PROBE_INITS.incrementAndGet();
    }

    private PreloadProbe() {
    }
}
