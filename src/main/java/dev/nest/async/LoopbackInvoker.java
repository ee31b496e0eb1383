package dev.nest.async;

import dev.nest.function.FunctionId;
import dev.nest.function.FunctionVersion;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Delivers events through this node's own gateway over loopback ({@code http://127.0.0.1:<port>/ns/<ns>/fn/<name>...},
 * or the gateway's own address when it listens on one address only),
 * so an async delivery takes the same path as a synchronous call: admission (queue, 429/503), instance leases,
 * cold starts, cluster forwarding, invocation records and logs. Each request carries
 * {@link AsyncIngress#DELIVERY} (the invocation id and this process's token) so the gateway serves it
 * synchronously under that id instead of enqueuing it again. See ADR 0011 (src/docs/adr/0011-async-invocations.md).
 *
 * <p>Admission refusals are told apart from the function's own 429/503 by the gateway's {@code x-nest-admission}
 * header, or, until the gateway sets it, by Nest's error body ({@code {"error": "too many requests" | "no instance
 * available" | "node at capacity" | "node shutting down", ...}}): a function that answers exactly that is taken
 * for admission (it is retried without using up an attempt, until max-age).
 *
 * <p>Threads: {@link #deliver} from any thread; futures complete on the HTTP client's threads.
 */
public final class LoopbackInvoker implements Invoker {
    static final String ADMISSION = "x-nest-admission";
    private static final Set<String> ADMISSION_ERRORS = Set.of("too many requests", "no instance available",
            "node at capacity", "node shutting down");
    private static final Pattern ERROR = Pattern.compile("^\\s*\\{\\s*\"error\"\\s*:\\s*\"([^\"]*)\"");
    private static final Duration SLACK = Duration.ofSeconds(30);

    private final dev.nest.common.Lazy<HttpClient> client; // built on the first delivery
    private final String host;
    private final IntSupplier port;
    private final AsyncIngress ingress;
    private final Clock clock;

    /**
     * @param host the address the gateway listens on ({@code server.host}); a wildcard address means loopback
     * @param port the gateway's port on this node (read at each delivery: it may be bound after this is made)
     */
    public LoopbackInvoker(String host, IntSupplier port, AsyncIngress ingress, Clock clock) {
        this.client = dev.nest.common.Lazy.of(() -> HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build());
        this.host = host.isEmpty() || host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")
                ? "127.0.0.1" : host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        this.port = port;
        this.ingress = ingress;
        this.clock = clock;
    }

    @Override
    public CompletableFuture<Outcome> deliver(Event event, FunctionVersion version) {
        NewEvent r = event.request();
        FunctionId id = version.spec().id();
        String uri = "http://" + host + ":" + port.getAsInt() + "/ns/" + id.namespace() + "/fn/" + id.name() + r.path()
                + (r.query().isEmpty() ? "" : "?" + r.query());
        long t0 = clock.millis();
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(uri))
                .timeout(version.spec().timeout().plus(version.spec().queue().timeout()).plus(SLACK))
                .method(r.method(), HttpRequest.BodyPublishers.ofByteArray(r.body()));
        List<String> h = r.headers();
        for (int i = 0; i + 1 < h.size(); i += 2) {
            try {
                b.header(h.get(i), h.get(i + 1));
            } catch (IllegalArgumentException restricted) {
                // a header the HTTP client sets itself: left out
            }
        }
        b.header(AsyncIngress.DELIVERY, ingress.deliveryHeader(r.id()));
        try {
            return client.get().sendAsync(b.build(), HttpResponse.BodyHandlers.ofByteArray())
                    .handle((resp, x) -> x != null
                            ? new Outcome.Unreachable(clock.millis() - t0, "no answer from the gateway: " + x.getMessage())
                            : outcome(resp.statusCode(), resp.headers().firstValue(ADMISSION).isPresent(), resp.body(),
                                    clock.millis() - t0));
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(new Outcome.Unreachable(0, "bad request: " + e.getMessage()));
        }
    }

    /** What an answer means: admission refusal, or the function's answer. Pure. */
    static Outcome outcome(int status, boolean admissionHeader, byte[] body, long durationMs) {
        if (status == 429 || status == 503) {
            if (admissionHeader) {
                return new Outcome.Refused(status, "admission");
            }
            Matcher m = ERROR.matcher(new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8));
            if (m.find() && ADMISSION_ERRORS.contains(m.group(1))) {
                return new Outcome.Refused(status, m.group(1));
            }
        }
        return new Outcome.Answered(status, durationMs, body);
    }
}
