package dev.nest.cluster;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Finds the moment this node's public port first listens, and announces it once: a node registers in ZooKeeper
 * before its port listens, so its registration alone does not say whether a refused connection means "still
 * starting" or "dead". From the registration on, this node tries its own advertised address and port every
 * {@code every}; the first accepted connection runs {@code announce} (which writes {@link NodeInfo#LISTENING} into
 * the registration) and the tries stop. After {@code giveUp} without an accepted connection (an advertised address
 * this node cannot reach itself, behind a NAT for example) it stops trying and says so: its peers then keep the start
 * grace for it, as for a node of an older release.
 *
 * <p>Threads: {@link #check} runs on this component's thread ({@code nest-listen-watch}) once {@link #start}ed.
 */
final class ListenWatch implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ListenWatch.class.getName());

    private final String what;
    private final BooleanSupplier listens;
    private final Runnable announce;
    private final Duration every;
    private final long giveUpNanos;
    private final LongSupplier nanoTime;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("nest-listen-watch").unstarted(r));
    private long since = -1;
    private boolean done;

    /**
     * @param what     the port, for the log ({@code address:port})
     * @param listens  one try: whether the port accepted a connection (must return within about {@code every})
     * @param announce run once, on the first accepted try
     * @param every    time between two tries
     * @param giveUp   how long after the first try to stop trying
     * @param nanoTime the monotonic clock {@code giveUp} is measured on
     */
    ListenWatch(String what, BooleanSupplier listens, Runnable announce, Duration every, Duration giveUp,
                LongSupplier nanoTime) {
        if (every.isZero() || every.isNegative() || giveUp.isNegative()) {
            throw new IllegalArgumentException("a listen watch needs a positive interval and a give-up time of zero or more");
        }
        this.what = what;
        this.listens = listens;
        this.announce = announce;
        this.every = every;
        this.giveUpNanos = giveUp.toNanos();
        this.nanoTime = nanoTime;
    }

    /** Tries now and every interval until the port listens or the watch gives up. */
    void start() {
        thread.execute(this::tick);
    }

    private void tick() {
        boolean again;
        try {
            again = check();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "cannot announce that " + what + " listens: " + e, e);
            again = false;
        }
        if (again && !thread.isShutdown()) {
            thread.schedule(this::tick, every.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** One try; whether to try again. */
    boolean check() {
        if (done) {
            return false;
        }
        long now = nanoTime.getAsLong();
        if (since < 0) {
            since = now;
        }
        if (listens.getAsBoolean()) {
            done = true;
            announce.run();
            return false;
        }
        if (now - since >= giveUpNanos) {
            done = true;
            LOG.warning(what + " did not accept a connection from this node within " + Duration.ofNanos(giveUpNanos).toSeconds()
                    + " s: its registration does not say that it listens, so its peers keep the start grace for it"
                    + " (check node.address and server.port)");
            return false;
        }
        return true;
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
