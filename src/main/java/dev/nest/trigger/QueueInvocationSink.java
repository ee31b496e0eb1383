package dev.nest.trigger;

import dev.nest.async.Acceptance;
import dev.nest.async.AsyncIngress;
import dev.nest.async.AsyncLedger;
import dev.nest.async.EventState;
import dev.nest.function.FunctionCatalog;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionVersion;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntSupplier;

/**
 * The {@link InvocationSink} of a node: async events go into the async module's durable queue through
 * {@link AsyncIngress#accept} (as a POST to the function's root with the event's headers and idempotency key), so
 * retries, {@code max-age}, dead letters and the ledger apply as to any async request; synchronous calls go through
 * this node's gateway over loopback, marked with {@link TriggerCalls} (so the gateway's routing, peers, admission
 * and records apply too). Thread-safe.
 *
 * <p>Limits: a synchronous call waits at most the function's {@code timeout} plus 30 s; {@link #state} knows only
 * invocations enqueued on this node (the async queue is per node).
 */
public final class QueueInvocationSink implements InvocationSink {
    private static final Duration SLACK = Duration.ofSeconds(30);
    private final FunctionCatalog catalog;
    private final AsyncIngress ingress;
    private final AsyncLedger ledger;
    private final IntSupplier gatewayPort;
    private final TriggerCalls calls;
    private final RegionStops stops;
    /** Built on the first HTTP destination call (its selector thread too). */
    private final dev.nest.common.Lazy<HttpClient> http = dev.nest.common.Lazy.of(() -> HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(5)).build());

    public QueueInvocationSink(FunctionCatalog catalog, AsyncIngress ingress, AsyncLedger ledger,
                               IntSupplier gatewayPort, TriggerCalls calls) {
        this(catalog, ingress, ledger, gatewayPort, calls, new RegionStops("", new LocalStops(ledger,
                (id, reason) -> CompletableFuture.completedFuture(false)), List::of,
                (base, id, reason) -> CompletableFuture.completedFuture(StopResult.of(StopResult.Outcome.UNKNOWN, ""))));
    }

    /** A sink whose {@link #stop} goes through {@code stops} (the node's {@link RegionStops}). */
    public QueueInvocationSink(FunctionCatalog catalog, AsyncIngress ingress, AsyncLedger ledger,
                               IntSupplier gatewayPort, TriggerCalls calls, RegionStops stops) {
        this.stops = stops;
        this.catalog = catalog;
        this.ingress = ingress;
        this.ledger = ledger;
        this.gatewayPort = gatewayPort;
        this.calls = calls;
    }

    private Optional<FunctionVersion> live(FunctionId function) {
        return catalog.get(function).flatMap(FunctionRecord::liveVersion);
    }

    @Override
    public CompletableFuture<String> enqueue(FunctionId function, TriggerEvent event) {
        Optional<FunctionVersion> version = live(function);
        if (version.isEmpty()) {
            return CompletableFuture.failedFuture(new TriggerException(404, "function not found",
                    "function " + function + " has no live version", null));
        }
        List<String> headers = new ArrayList<>(event.headers());
        headers.add("content-type");
        headers.add(event.contentType());
        event.idempotencyKey().ifPresent(k -> {
            headers.add(AsyncIngress.IDEMPOTENCY_KEY);
            headers.add(k);
        });
        return ingress.accept(version.get(), "POST", "/", "", headers, event.body()).thenApply(a -> switch (a) {
            case Acceptance.Accepted ok -> ok.id();
            case Acceptance.Rejected no -> throw new TriggerException(no.status(), no.error(), no.detail(), null);
        });
    }

    @Override
    public CompletableFuture<Response> invoke(FunctionId function, TriggerEvent event) {
        Optional<FunctionVersion> version = live(function);
        if (version.isEmpty()) {
            return CompletableFuture.failedFuture(new TriggerException(404, "function not found",
                    "function " + function + " has no live version", null));
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gatewayPort.getAsInt()
                        + "/ns/" + function.namespace() + "/fn/" + function.name() + "/"))
                .timeout(version.get().spec().timeout().plus(SLACK))
                .header("content-type", event.contentType())
                .header(TriggerCalls.HEADER, calls.value())
                .POST(HttpRequest.BodyPublishers.ofByteArray(event.body()));
        for (int i = 0; i + 1 < event.headers().size(); i += 2) {
            b.header(event.headers().get(i), event.headers().get(i + 1));
        }
        return http.get().sendAsync(b.build(), HttpResponse.BodyHandlers.ofByteArray())
                .thenApply(r -> new Response(r.statusCode(), r.body()));
    }

    @Override
    public CompletableFuture<StopResult> stop(String invocationId, String reason) {
        return stops.stop(invocationId, reason);
    }

    @Override
    public RunState state(String invocationId) {
        return ledger.status(invocationId).map(s -> stateOf(s.state())).orElse(RunState.UNKNOWN);
    }

    static RunState stateOf(EventState s) {
        return switch (s) {
            case QUEUED, RETRYING -> RunState.WAITING;
            case RUNNING -> RunState.RUNNING;
            case SUCCEEDED, FAILED, DEAD, CANCELLED -> RunState.FINISHED;
        };
    }
}
