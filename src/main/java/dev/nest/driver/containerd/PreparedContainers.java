package dev.nest.driver.containerd;

import dev.nest.spi.SandboxException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Containers made ahead of demand: per {@link Shape} (image and limits) up to {@code perShape} containers whose
 * lease, snapshot, container record and task (the shim and {@code runc create}) exist but whose task is not started.
 * A pod start of that shape {@link #take}s one and only starts its task; the set is then refilled in the background.
 *
 * <p>Lifecycle of one prepared container: <em>made</em> ({@link Maker#make}) -> <em>used</em> ({@link #take}: it
 * now belongs to a pod, the set forgets it) or <em>discarded</em> ({@link Maker#discard}): when it is older than
 * {@code maxAge} (at {@link #take} or {@link #sweep}), when its image record now points at other content
 * ({@link #verdict}), or at {@link #close}. A node that crashed leaves its prepared containers behind; they carry the
 * node's labels and are not in {@link #ids()} of the next driver, so its orphan removal deletes them.
 *
 * <p>Failures: a make that fails is logged and not retried until the next {@link #take} or {@link #sweep} of that
 * shape (so a containerd that is down costs one attempt per start, not a loop). A discard that fails is the
 * maker's to report; what stays is found by the next orphan removal.
 *
 * <p>Thread-safe: {@link #take} from start threads, makes and sweeps on {@code background} (one thread is enough:
 * makes run one at a time), {@link #close} from any thread. Makes and discards run outside the lock.
 *
 * @param <P> what the maker makes (the driver's prepared container)
 */
final class PreparedContainers<P> implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PreparedContainers.class.getName());

    /** What prepared containers are kept for: a pod of this shape can use one. */
    record Shape(String image, long memoryBytes, double cpus, int pids) {
    }

    /** Makes and removes prepared containers (in the driver: containerd calls). */
    interface Maker<P> {
        /**
         * Makes one prepared container of {@code shape}.
         *
         * @throws SandboxException containerd refused or could not be reached
         */
        P make(Shape shape);

        /** The id of {@code p}'s container (for orphan removal). */
        String id(P p);

        /** The image content {@code p} was made from (the image's chain id). */
        String imageContent(P p);

        /** Removes {@code p} from containerd and the disk; never throws (logs what it could not remove). */
        void discard(P p);
    }

    /** Runs work later on the preparing thread ({@link java.util.concurrent.ScheduledExecutorService#schedule} in the driver). */
    interface Later {
        /**
         * Runs {@code work} after {@code delay}.
         *
         * @throws java.util.concurrent.RejectedExecutionException when shut down
         */
        void run(Runnable work, Duration delay);
    }

    /** What a prepared container is good for at a take. */
    enum Verdict {
        /** Start it. */
        USE,
        /** Older than the maximum age: discard it (its snapshot may hold an image that was deleted since). */
        EXPIRED,
        /** Made from content the image name no longer points at: discard it. */
        STALE_IMAGE
    }

    private record Entry<P>(P prepared, Instant madeAt) {
    }

    private final int perShape;
    private final Duration maxAge;
    private final Duration refillDelay;
    private final Clock clock;
    private final Maker<P> maker;
    private final Later background;
    private final Map<Shape, Deque<Entry<P>>> ready = new HashMap<>();
    private final Map<Shape, Integer> making = new HashMap<>();
    private boolean closed;

    PreparedContainers(int perShape, Duration maxAge, Duration refillDelay, Clock clock, Maker<P> maker,
                       Later background) {
        if (perShape < 1) {
            throw new IllegalArgumentException("perShape must be at least 1: " + perShape);
        }
        this.perShape = perShape;
        this.maxAge = maxAge;
        this.refillDelay = refillDelay;
        this.clock = clock;
        this.maker = maker;
        this.background = background;
    }

    /** Whether a prepared container made at {@code madeAt} from {@code made} may serve a start now. Pure. */
    static Verdict verdict(Instant madeAt, String made, String current, Instant now, Duration maxAge) {
        if (!made.equals(current)) {
            return Verdict.STALE_IMAGE;
        }
        if (Duration.between(madeAt, now).compareTo(maxAge) >= 0) {
            return Verdict.EXPIRED;
        }
        return Verdict.USE;
    }

    /**
     * A prepared container of {@code shape} made from {@code imageContent}, if one is ready; those found expired or
     * stale on the way are discarded. Either way the set of that shape is refilled in the background.
     */
    Optional<P> take(Shape shape, String imageContent) {
        List<P> drop = new ArrayList<>();
        Optional<P> found = Optional.empty();
        synchronized (this) {
            if (closed) {
                return Optional.empty();
            }
            Deque<Entry<P>> q = ready.getOrDefault(shape, new ArrayDeque<>());
            Instant now = clock.instant();
            while (!q.isEmpty() && found.isEmpty()) {
                Entry<P> e = q.pollFirst();
                if (verdict(e.madeAt(), maker.imageContent(e.prepared()), imageContent, now, maxAge) == Verdict.USE) {
                    found = Optional.of(e.prepared());
                } else {
                    drop.add(e.prepared());
                }
            }
        }
        drop.forEach(maker::discard);
        refill(shape, refillDelay);
        return found;
    }

    /** Discards the expired prepared containers of every shape and refills (the driver calls it periodically). */
    void sweep() {
        List<P> drop = new ArrayList<>();
        List<Shape> shapes;
        synchronized (this) {
            if (closed) {
                return;
            }
            Instant now = clock.instant();
            for (Deque<Entry<P>> q : ready.values()) {
                q.removeIf(e -> {
                    boolean old = Duration.between(e.madeAt(), now).compareTo(maxAge) >= 0;
                    if (old) {
                        drop.add(e.prepared());
                    }
                    return old;
                });
            }
            shapes = List.copyOf(ready.keySet());
        }
        drop.forEach(maker::discard);
        shapes.forEach(s -> refill(s, Duration.ZERO));
    }

    /**
     * The container ids of the ready prepared containers: not orphans. (One being made is not listed yet; the
     * driver removes orphans when its node starts, before any start.)
     */
    synchronized Set<String> ids() {
        Set<String> ids = new HashSet<>();
        ready.values().forEach(q -> q.forEach(e -> ids.add(maker.id(e.prepared()))));
        return ids;
    }

    /** Prepared containers ready now, over all shapes. */
    synchronized int size() {
        return ready.values().stream().mapToInt(Deque::size).sum();
    }

    private void refill(Shape shape, Duration delay) {
        synchronized (this) {
            if (closed || count(shape) >= perShape) {
                return;
            }
            making.merge(shape, 1, Integer::sum);
        }
        try {
            background.run(() -> makeOne(shape), delay);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            synchronized (this) {
                making.merge(shape, -1, Integer::sum);
            }
        }
    }

    private int count(Shape shape) {
        Deque<Entry<P>> q = ready.get(shape);
        return (q == null ? 0 : q.size()) + making.getOrDefault(shape, 0);
    }

    private void makeOne(Shape shape) {
        P made;
        try {
            made = maker.make(shape);
        } catch (RuntimeException e) {
            synchronized (this) {
                making.merge(shape, -1, Integer::sum);
            }
            LOG.warning("cannot prepare a container of image " + shape.image() + " ahead of a start (the next start of "
                    + "that image tries again; starts meanwhile make their container themselves): " + e.getMessage());
            return;
        }
        boolean keep;
        boolean more;
        synchronized (this) {
            making.merge(shape, -1, Integer::sum);
            keep = !closed;
            if (keep) {
                ready.computeIfAbsent(shape, s -> new ArrayDeque<>()).addLast(new Entry<>(made, clock.instant()));
            }
            more = keep && count(shape) < perShape;
        }
        if (!keep) {
            maker.discard(made);
        } else if (more) {
            refill(shape, Duration.ZERO);
        }
    }

    /** Discards every ready prepared container; one being made is discarded when its make ends. Idempotent. */
    @Override
    public void close() {
        List<P> drop = new ArrayList<>();
        synchronized (this) {
            closed = true;
            ready.values().forEach(q -> q.forEach(e -> drop.add(e.prepared())));
            ready.clear();
        }
        drop.forEach(maker::discard);
    }
}
