package dev.nest.load;

import dev.nest.common.Json;
import dev.nest.common.Ticker;
import dev.nest.function.FunctionId;
import dev.nest.sidecar.FunctionLoad;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Sends this node's load to the leader: every {@link #INTERVAL}, and at once when a request of a function found no
 * free instance ({@link #starved}), a {@link LoadReport} of the node agent's snapshot goes to the leader's
 * {@code POST /api/v1/cluster/load}. While this node leads (or no leader is known) nothing is sent: the leader
 * reads its own agent directly ({@link ClusterLoad}), so a single node never makes an HTTP call to itself.
 *
 * <p>Lifecycle: {@link #start()} starts one platform thread, {@code nest-load-report}, which makes every send;
 * {@link #close()} stops it. {@link #starved} may be called from any thread and never blocks. Failure: a send that
 * fails (the leader is changing, unreachable) is dropped, and the next one a second later carries the current
 * numbers; the starved functions it carried are not repeated, since the next report's queued counts show them. The
 * change between failing and succeeding is logged once.
 */
public final class LoadReporter implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(LoadReporter.class.getName());
    /** How often a report is sent. */
    public static final Duration INTERVAL = Duration.ofSeconds(1);
    /** The leader's endpoint, relative to its base URL. */
    public static final String PATH = "/api/v1/cluster/load";

    /** Delivers a report's JSON to the leader; the narrow seam tests replace. */
    @FunctionalInterface
    public interface Transport {
        /** Sends {@code json} to {@code leader}'s {@link #PATH}; throws when it was not accepted. */
        void send(URI leader, byte[] json) throws IOException;
    }

    private final String node;
    private final String boot = HexFormat.of().formatHex(longBytes(ThreadLocalRandom.current().nextLong()));
    private final Supplier<Map<FunctionId, FunctionLoad>> local;
    private final Supplier<Optional<URI>> leader;
    private final Transport transport;
    private final Supplier<List<VersionTraffic>> traffic;
    private final Supplier<Map<FunctionId, Integer>> parked;
    private final Supplier<Map<FunctionId, Integer>> burst;
    private final Set<FunctionId> starved = new LinkedHashSet<>();
    private final Ticker ticker = new Ticker("nest-load-report", INTERVAL, this::report,
            e -> LOG.log(Level.WARNING, "load report round failed", e));
    private boolean failing;

    /**
     * @param node      this node's id
     * @param local     this node's agent's load
     * @param leader    the leader's base URL ({@code http(s)://address:port}); empty while this node leads or no leader
     *                  is known
     * @param transport the sender ({@link #http()} in production)
     */
    public LoadReporter(String node, Supplier<Map<FunctionId, FunctionLoad>> local, Supplier<Optional<URI>> leader,
                        Transport transport) {
        this(node, local, leader, transport, List::of);
    }

    /** @param traffic this node's requests per function version since it started, sent with each report */
    public LoadReporter(String node, Supplier<Map<FunctionId, FunctionLoad>> local, Supplier<Optional<URI>> leader,
                        Transport transport, Supplier<List<VersionTraffic>> traffic) {
        this(node, local, leader, transport, traffic, Map::of);
    }

    /**
     * @param parked per function, its instances parked in a merged pod on this node (the node agent's
     *               {@code parked()}), sent with each report
     */
    public LoadReporter(String node, Supplier<Map<FunctionId, FunctionLoad>> local, Supplier<Optional<URI>> leader,
                        Transport transport, Supplier<List<VersionTraffic>> traffic,
                        Supplier<Map<FunctionId, Integer>> parked) {
        this(node, local, leader, transport, traffic, parked, Map::of);
    }

    /**
     * @param burst per function, its instances this node started as burst workers in a merged pod (the node agent's
     *              {@code burst()}), sent with each report
     */
    public LoadReporter(String node, Supplier<Map<FunctionId, FunctionLoad>> local, Supplier<Optional<URI>> leader,
                        Transport transport, Supplier<List<VersionTraffic>> traffic,
                        Supplier<Map<FunctionId, Integer>> parked, Supplier<Map<FunctionId, Integer>> burst) {
        this.burst = burst;
        this.parked = parked;
        this.traffic = traffic;
        this.node = node;
        this.local = local;
        this.leader = leader;
        this.transport = transport;
    }

    /**
     * HTTP/1.1 POSTs with a 1 s connect and 2 s response limit, each with {@code headers} (the cluster's peer
     * credential, which the leader requires), read for every send.
     */
    public static Transport http(Supplier<Map<String, String>> headers) {
        return http(headers, Optional.empty());
    }

    /**
     * {@link #http(Supplier)} verifying an {@code https} leader URL (the leader's advertised scheme) with {@code tls}
     * (the public port's TLS, {@code server.tls}); empty: the JDK's default trust.
     */
    public static Transport http(Supplier<Map<String, String>> headers, Optional<javax.net.ssl.SSLContext> tls) {
        HttpClient.Builder builder = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(1));
        tls.ifPresent(builder::sslContext);
        // built on the first report: a node that leads (or runs alone) never sends one
        dev.nest.common.Lazy<HttpClient> client = dev.nest.common.Lazy.of(builder::build);
        return (leader, json) -> {
            HttpRequest.Builder b = HttpRequest.newBuilder(leader.resolve(PATH)).timeout(Duration.ofSeconds(2))
                    .header("content-type", "application/json");
            headers.get().forEach(b::header);
            HttpRequest req = b.POST(HttpRequest.BodyPublishers.ofByteArray(json)).build();
            try {
                HttpResponse<String> res = client.get().send(req, HttpResponse.BodyHandlers.ofString());
                if (res.statusCode() / 100 != 2) {
                    throw new IOException("leader " + leader + " answered " + res.statusCode() + ": " + res.body());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        };
    }

    /** Starts the sending thread. */
    public void start() {
        ticker.start();
    }

    public Ticker.State state() {
        return ticker.state();
    }

    /** A request of {@code id} found no free instance: report now, naming it, so the leader decides at once. */
    public void starved(FunctionId id) {
        synchronized (starved) {
            starved.add(id);
        }
        ticker.wake();
    }

    /**
     * Sends one report now when a leader other than this node is known; returns whether one was accepted. Called by
     * the sending thread (and tests).
     */
    public boolean report() {
        Optional<URI> to = leader.get();
        List<FunctionId> names;
        synchronized (starved) {
            names = new ArrayList<>(starved);
            starved.clear();
        }
        if (to.isEmpty()) {
            return false;
        }
        try {
            transport.send(to.get(), Json.bytes(LoadReport.of(node, boot, local.get(), names, traffic.get(), parked.get(),
                    burst.get())));
            if (failing) {
                failing = false;
                LOG.info("load reports reach the leader at " + to.get() + " again");
            }
            return true;
        } catch (IOException | RuntimeException e) {
            if (!failing) {
                failing = true;
                LOG.info("cannot send this node's load to the leader at " + to.get() + " (" + e.getMessage()
                        + "); trying every " + INTERVAL.toSeconds() + " s");
            } else {
                LOG.log(Level.FINE, "load report to " + to.get() + " failed", e);
            }
            return false;
        }
    }

    @Override
    public void close() {
        ticker.close();
    }

    private static byte[] longBytes(long v) {
        return java.nio.ByteBuffer.allocate(Long.BYTES).putLong(v).array();
    }
}
