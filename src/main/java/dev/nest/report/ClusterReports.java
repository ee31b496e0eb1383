package dev.nest.report;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.common.Json;
import dev.nest.common.Peer;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.SSLContext;

/**
 * Reports for the whole region: this node's buckets plus every other live node's, fetched in parallel over the
 * peer route {@link #PATH} (with the cluster's peer credential), merged by {@link ReportBuilder}. A node that does not
 * answer within the timeout, or answers badly, is left out and named: the report says {@code partial}.
 *
 * <p>Threads: {@link #report} may be called from any thread; each call fetches on virtual threads of its own and
 * returns within about the timeout whatever the peers do.
 */
public final class ClusterReports {
    private static final Logger LOG = Logger.getLogger(ClusterReports.class.getName());
    /** The peer route that answers this node's buckets. */
    public static final String PATH = "/api/v1/report/buckets";
    /** The most bytes one node's answer may have. */
    static final int MAX_ANSWER = 64 * 1024 * 1024;

    /** A peer's answer: its buckets, and its async backlog when its queue tells. */
    public record PeerAnswer(List<Bucket> buckets, Optional<Backlog> backlog) {
    }

    /** Reads a peer's buckets; the seam tests replace. */
    @FunctionalInterface
    public interface PeerBuckets {
        PeerAnswer fetch(URI base, Scope scope, Resolution res, long from, long until) throws IOException;
    }

    /** This node's buckets. */
    @FunctionalInterface
    public interface LocalBuckets {
        List<Bucket> buckets(Scope scope, Resolution res, long from, long until);
    }

    private final LocalBuckets local;
    private final Supplier<List<Peer>> peers;
    private final PeerBuckets fetch;
    private final Clock clock;
    private final Duration timeout;
    private final Function<Scope, Optional<Backlog>> backlog;

    /**
     * @param local   this node's buckets
     * @param peers   the other live nodes, read for each report
     * @param fetch   how a peer's buckets are read ({@link #http} in production)
     * @param timeout how long a report waits for the peers
     * @param backlog the async backlog of a scope, when the queue can tell
     */
    public ClusterReports(LocalBuckets local, Supplier<List<Peer>> peers, PeerBuckets fetch, Clock clock,
                          Duration timeout, Function<Scope, Optional<Backlog>> backlog) {
        this.local = local;
        this.peers = peers;
        this.fetch = fetch;
        this.clock = clock;
        this.timeout = timeout;
        this.backlog = backlog;
    }

    /** The report of {@code scope} over {@code w}, now. */
    public Report report(Scope scope, ReportWindow w) {
        long[] range = ReportBuilder.range(w, clock.instant());
        List<Bucket> all = new ArrayList<>(local.buckets(scope, w.resolution(), range[0], range[1]));
        List<String> unreachable = new ArrayList<>();
        Optional<Backlog> queued = backlog.apply(scope);
        List<Peer> others = peers.get();
        if (!others.isEmpty()) {
            try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<PeerAnswer>> futures = new ArrayList<>();
                for (Peer p : others) {
                    futures.add(ex.submit(() -> fetch.fetch(p.url(), scope, w.resolution(), range[0], range[1])));
                }
                long deadline = System.nanoTime() + timeout.toNanos();
                for (int i = 0; i < others.size(); i++) {
                    Future<PeerAnswer> f = futures.get(i);
                    try {
                        PeerAnswer a = f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                        all.addAll(a.buckets());
                        if (a.backlog().isPresent()) {
                            queued = Optional.of(queued.map(q -> q.plus(a.backlog().get())).orElse(a.backlog().get()));
                        }
                    } catch (ExecutionException | TimeoutException e) {
                        f.cancel(true);
                        unreachable.add(others.get(i).id());
                        LOG.log(Level.FINE, "no report buckets from node " + others.get(i).id(), e);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        unreachable.add(others.get(i).id());
                    }
                }
                ex.shutdownNow();
            }
        }
        return ReportBuilder.build(scope, w, clock.instant(), all, unreachable, queued);
    }

    /** The peer route's query for a scope and range. */
    public static String query(Scope scope, Resolution res, long from, long until) {
        return "scope=" + (scope.function() ? "function" : "namespace") + "&name="
                + URLEncoder.encode(scope.name(), StandardCharsets.UTF_8) + "&resolution=" + res.seconds()
                + "&from=" + from + "&until=" + until;
    }

    /**
     * GETs a peer's {@link #PATH} with {@code headers} (the cluster's peer credential) over HTTP/1.1, 1 s to connect
     * and {@code timeout} for the answer, at most {@link #MAX_ANSWER} bytes; {@code tls} verifies {@code https} peers.
     */
    public static PeerBuckets http(Supplier<Map<String, String>> headers, Optional<SSLContext> tls, Duration timeout) {
        HttpClient.Builder builder = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(1));
        tls.ifPresent(builder::sslContext);
        // built on the first read: a node that is never asked for the region's report makes no client
        dev.nest.common.Lazy<HttpClient> client = dev.nest.common.Lazy.of(builder::build);
        return (base, scope, res, from, until) -> {
            HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(PATH + "?" + query(scope, res, from, until)))
                    .timeout(timeout).GET();
            headers.get().forEach(b::header);
            try {
                HttpResponse<InputStream> r = client.get().send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
                try (InputStream in = r.body()) {
                    byte[] body = in.readNBytes(MAX_ANSWER + 1);
                    if (r.statusCode() != 200) {
                        throw new IOException("node " + base + " answered " + r.statusCode());
                    }
                    if (body.length > MAX_ANSWER) {
                        throw new IOException("node " + base + " sent more than " + MAX_ANSWER + " bytes of buckets");
                    }
                    return decode(body);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        };
    }

    /** The peer route's answer: {@code {"node": ..., "buckets": [...], "backlog": {"depth", "oldestAgeSeconds"}}}. */
    public static Map<String, Object> encode(String node, List<Bucket> buckets, Optional<Backlog> backlog) {
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        out.put("node", node);
        out.put("buckets", buckets);
        backlog.ifPresent(b -> out.put("backlog", b));
        return out;
    }

    static PeerAnswer decode(byte[] body) throws IOException {
        try {
            JsonNode tree = Json.mapper().readTree(body);
            Bucket[] read = Json.mapper().treeToValue(tree.path("buckets"), Bucket[].class);
            List<Bucket> out = new ArrayList<>(read == null ? 0 : read.length);
            if (read != null) {
                for (Bucket b : read) {
                    if (b == null || b.function() == null || b.latency() == null || b.init() == null) {
                        throw new IllegalArgumentException("a bucket lacks its function or histograms");
                    }
                    Resolution.of(b.resolution()); // refuses an unknown one
                    Latency.decode(b.latency());
                    out.add(b);
                }
            }
            Optional<Backlog> backlog = Optional.empty();
            JsonNode b = tree.path("backlog");
            if (b.isObject()) {
                long depth = b.path("depth").asLong(-1);
                double age = b.path("oldestAgeSeconds").asDouble(-1);
                if (depth < 0 || age < 0) {
                    throw new IllegalArgumentException("a backlog needs a depth and an age of at least 0");
                }
                backlog = Optional.of(new Backlog(depth, age));
            }
            return new PeerAnswer(out, backlog);
        } catch (IllegalArgumentException | com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException("a node's report buckets are not valid: " + e.getMessage(), e);
        }
    }
}
