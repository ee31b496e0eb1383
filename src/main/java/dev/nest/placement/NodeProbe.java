package dev.nest.placement;

import dev.nest.cluster.PortAnswer;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Finds a dead node before ZooKeeper does. A node's registration is ephemeral, so ZooKeeper removes it only when the
 * node's session expires ({@code cluster.session-timeout}, 15 s by default); a node whose process died ({@code kill
 * -9}, a crash, an OOM kill) on a host that is still up refuses connections to its port at once. While active, the
 * probe connects to each of its nodes' advertised address and port every interval; a node that refuses {@code
 * failures} times in a row is {@link #down}. Two probes run on every node: the leader's tries every other node (a
 * dead one is re-placed and removed from routing at once), the others' try the leader (a dead leader's place in the
 * election is removed, so that the next node leads without waiting for the session to expire).
 *
 * <p>Only a refusal counts, and only from a registration that has accepted a connection before, whose registration
 * says that its port listens ({@link Target#listening}: the node writes it once its own port accepted a connection),
 * or that this probe has seen for longer than the start grace: a node registers before its port listens, and a node
 * starting on a busy machine can take seconds between the two, so refusals of a registration that has neither
 * answered nor said that it listens, within the grace, say it is still starting, not that it died. A node killed at
 * any moment after its registration said that it listens is so found as fast as any other dead node, even when this
 * probe never saw it answer. After the grace a registration that never answered is judged like any other, so a
 * node killed during its own start is found without waiting for its session. The grace runs from the round in which
 * this probe first saw the registration, on this process's monotonic clock: neither another node's clock nor
 * ZooKeeper's is compared with this one. A timeout or an unreachable network says nothing certain (the node may be
 * alive behind a partition and still hold its session), so it is left to ZooKeeper's session. A node that answers again, or
 * registers anew (another start time), is up again. A node wrongly judged down is safe: its placements are deleted,
 * so its own agent stops their pods, and no function runs twice.
 *
 * <p>Threads: {@link #probe} runs on this component's thread ({@code nest-node-probe}) once {@link #start}ed; {@link
 * #down} may be called from any thread.
 */
public final class NodeProbe implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(NodeProbe.class.getName());

    /**
     * A node to probe: its id, where it listens, when it registered (a new registration starts afresh), and whether
     * its registration says that its port listens ({@link dev.nest.cluster.NodeInfo#LISTENING}).
     */
    public record Target(String id, String address, int port, Instant started, boolean listening) {
        /** The registration probed: the same start of the same node, whether or not it has said it listens. */
        Registration registration() {
            return new Registration(id, address, port, started);
        }
    }

    /** What the probe's counts are kept by: a node's start, not what its registration says later. */
    private record Registration(String id, String address, int port, Instant started) {
    }

    /** Opens (and closes) a connection to a node's port. */
    @FunctionalInterface
    public interface Connector {
        PortAnswer connect(String address, int port, Duration timeout);
    }

    private final Supplier<List<Target>> nodes;
    private final Duration interval;
    private final int failures;
    private final Connector connector;
    private final BooleanSupplier active;
    private final Runnable changed;
    private final long graceNanos;
    private final LongSupplier nanoTime;
    private final Map<Registration, Integer> refusals = new HashMap<>();
    /** The registrations that have accepted a connection at least once (their refusals count). */
    private final Set<Registration> answered = new HashSet<>();
    /** When (on {@link #nanoTime}) each registration was first seen (its refusals count once the grace has passed). */
    private final Map<Registration, Long> firstSeen = new HashMap<>();
    private final Set<String> down = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("nest-node-probe").unstarted(r));

    /**
     * @param nodes     the nodes to try (from the in-memory mirror; must not block)
     * @param interval  time between two rounds
     * @param failures  refusals in a row that make a node down (at least 1)
     * @param connector how a connection is tried ({@link #tcp()} outside tests)
     * @param active    whether to probe now (nothing is probed otherwise, and what was found is forgotten)
     * @param changed   called on the probe thread when a node went down or came back up
     * @param grace     how long after this probe first saw a registration its refusals count even if it never
     *                  answered (zero or more)
     * @param nanoTime  the monotonic clock the grace is measured on ({@code System::nanoTime} outside tests)
     */
    public NodeProbe(Supplier<List<Target>> nodes, Duration interval, int failures, Connector connector,
                     BooleanSupplier active, Runnable changed, Duration grace, LongSupplier nanoTime) {
        if (interval.isZero() || interval.isNegative() || failures < 1) {
            throw new IllegalArgumentException("a node probe needs a positive interval and at least one failure");
        }
        if (grace.isNegative()) {
            throw new IllegalArgumentException("a node probe's start grace cannot be negative: " + grace);
        }
        this.graceNanos = grace.toNanos();
        this.nanoTime = nanoTime;
        this.nodes = nodes;
        this.interval = interval;
        this.failures = failures;
        this.connector = connector;
        this.active = active;
        this.changed = changed;
    }

    /** TCP connections with a timeout of at most the interval ({@link PortAnswer#tcp}). */
    public static Connector tcp() {
        return PortAnswer::tcp;
    }

    /** Probes every interval, from now on. */
    public void start() {
        long ms = interval.toMillis();
        thread.scheduleWithFixedDelay(() -> {
            try {
                probe();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "node probe failed: " + e, e);
            }
        }, ms, ms, TimeUnit.MILLISECONDS);
    }

    /** Whether {@code nodeId} refused its connections {@code failures} times in a row and has not answered since. */
    public boolean down(String nodeId) {
        return down.contains(nodeId);
    }

    /** The nodes down now. */
    public Set<String> downNodes() {
        return Set.copyOf(down);
    }

    /** One round: every node is tried once (nothing while inactive). */
    void probe() {
        if (!active.getAsBoolean()) {
            if (!refusals.isEmpty() || !down.isEmpty()) {
                refusals.clear();
                down.clear();
            }
            return;
        }
        List<Target> targets = nodes.get();
        boolean change = false;
        Set<String> present = new HashSet<>();
        Set<Registration> registered = new HashSet<>();
        for (Target t : targets) {
            present.add(t.id());
            Registration r = t.registration();
            registered.add(r);
            long seen = firstSeen.computeIfAbsent(r, k -> nanoTime.getAsLong());
            PortAnswer a = connector.connect(t.address(), t.port(), interval);
            if (a == PortAnswer.REFUSED && counts(t, seen)) {
                int n = refusals.merge(r, 1, Integer::sum);
                if (n >= failures && down.add(t.id())) {
                    LOG.warning("node " + t.id() + " refuses connections on " + t.address() + ":" + t.port() + " (" + n
                            + " times in a row, " + why(t) + "): treated as dead before its ZooKeeper session expires");
                    change = true;
                }
            } else if (a == PortAnswer.ACCEPTED) {
                answered.add(r);
                refusals.remove(r);
                if (down.remove(t.id())) {
                    LOG.info("node " + t.id() + " answers again on " + t.address() + ":" + t.port());
                    change = true;
                }
            }
        }
        // forget nodes that are no longer registered, and the counts of earlier registrations of the same id
        refusals.keySet().retainAll(registered);
        answered.retainAll(registered);
        firstSeen.keySet().retainAll(registered);
        if (down.removeIf(id -> !present.contains(id))) {
            change = true;
        }
        for (String id : Set.copyOf(down)) {
            boolean counted = refusals.entrySet().stream().anyMatch(e -> e.getKey().id().equals(id) && e.getValue() >= failures);
            if (!counted) {
                down.remove(id); // registered anew since: a new start gets its own count
                change = true;
            }
        }
        if (change) {
            changed.run();
        }
    }

    /**
     * Whether a refusal of {@code t} counts: once it has answered this probe, once its registration says that its
     * port listens, or once the start grace has passed since this probe first saw it ({@code seen}).
     */
    private boolean counts(Target t, long seen) {
        return answered.contains(t.registration()) || t.listening() || nanoTime.getAsLong() - seen >= graceNanos;
    }

    /** Why {@code t}'s refusals counted, for the log. */
    private String why(Target t) {
        if (answered.contains(t.registration())) {
            return "after it had answered";
        }
        return t.listening() ? "after its registration said that its port listens"
                : "and never answered within its start grace";
    }

    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
