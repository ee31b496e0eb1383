package dev.nest.async;

import dev.nest.common.InvocationIds;
import dev.nest.function.FunctionVersion;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Where the gateway hands an async invocation request ({@code X-Nest-Invocation-Type: async} or
 * {@code X-Amz-Invocation-Type: Event}): {@link #accept} checks it, stores it in the {@link EventQueue} and
 * completes once it is durable (off the caller's thread; the gateway answers on its loop when it completes).
 *
 * <p>Deliveries come back through the gateway marked with {@link #DELIVERY} ({@code <invocation id> <token>});
 * {@link #delivery} tells the gateway such a request is one (so it serves it synchronously, with that invocation
 * id) only when the token is this process's secret, so a client cannot forge one.
 *
 * <p>What is stored: method, path after the function name, query, body and headers except hop-by-hop ones, the
 * invocation-type and idempotency headers, and {@code Authorization} / {@code Cookie} (credentials are not
 * written to disk; the enqueuing request was already admitted). {@code traceparent} travels with the event.
 *
 * <p>Limits: bodies up to {@code async.max-payload} (413 above); idempotency keys up to 256 characters.
 * Threads: any.
 */
public final class AsyncIngress {
    public static final String INVOCATION_TYPE = "x-nest-invocation-type";
    public static final String AMZ_INVOCATION_TYPE = "x-amz-invocation-type";
    public static final String IDEMPOTENCY_KEY = "idempotency-key";
    public static final String DELIVERY = "x-nest-async-delivery";
    private static final Set<String> NOT_STORED = Set.of("connection", "keep-alive", "transfer-encoding",
            "content-length", "host", "upgrade", "te", "trailer", "expect", "proxy-authorization", "proxy-connection",
            "authorization", "cookie", INVOCATION_TYPE, AMZ_INVOCATION_TYPE, IDEMPOTENCY_KEY, DELIVERY);

    private final EventQueue queue;
    private final AsyncConfig config;
    private final Clock clock;
    private final Runnable wake;
    private final String token;

    /**
     * @param wake called after an event is stored (the dispatcher's {@link Dispatcher#wake})
     */
    public AsyncIngress(EventQueue queue, AsyncConfig config, Clock clock, Runnable wake) {
        this(queue, config, clock, wake, HexFormat.of().formatHex(new SecureRandom().generateSeed(16)));
    }

    AsyncIngress(EventQueue queue, AsyncConfig config, Clock clock, Runnable wake, String token) {
        this.queue = queue;
        this.config = config;
        this.clock = clock;
        this.wake = wake;
        this.token = token;
    }

    /** Whether the request asks for async invocation; {@code headers} is name, value, name, value, ... */
    public static boolean wantsAsync(List<String> headers) {
        for (int i = 0; i + 1 < headers.size(); i += 2) {
            String n = headers.get(i);
            String v = headers.get(i + 1).trim();
            if (n.equalsIgnoreCase(INVOCATION_TYPE) && v.equalsIgnoreCase("async")
                    || n.equalsIgnoreCase(AMZ_INVOCATION_TYPE) && v.equalsIgnoreCase("Event")) {
                return true;
            }
        }
        return false;
    }

    /** The invocation id when the request is a delivery from this node's dispatcher (valid token), else empty. */
    public Optional<String> delivery(List<String> headers) {
        for (int i = 0; i + 1 < headers.size(); i += 2) {
            if (headers.get(i).equalsIgnoreCase(DELIVERY)) {
                String v = headers.get(i + 1).trim();
                int sp = v.indexOf(' ');
                if (sp > 0 && MessageDigest.isEqual(v.substring(sp + 1).getBytes(StandardCharsets.UTF_8),
                        token.getBytes(StandardCharsets.UTF_8))) {
                    return Optional.of(v.substring(0, sp));
                }
            }
        }
        return Optional.empty();
    }

    /** The {@link #DELIVERY} header's value for a delivery of {@code id}. */
    String deliveryHeader(String id) {
        return id + " " + token;
    }

    /**
     * Stores the request for async invocation of {@code version}'s function; completes (never exceptionally) when
     * it is durable, or with the refusal.
     *
     * @param headers name, value, name, value, ... as received
     */
    public CompletableFuture<Acceptance> accept(FunctionVersion version, String method, String path, String query,
                                                List<String> headers, byte[] body) {
        if (body.length > config.maxPayload()) {
            return CompletableFuture.completedFuture(new Acceptance.Rejected(413, "payload too large",
                    "an async invocation takes at most " + config.maxPayload() + " bytes (async.max-payload); this one has "
                            + body.length + "; invoke synchronously or store the payload elsewhere and pass a reference"));
        }
        Optional<String> key = Optional.empty();
        List<String> kept = new ArrayList<>();
        for (int i = 0; i + 1 < headers.size(); i += 2) {
            String n = headers.get(i);
            String lower = n.toLowerCase();
            if (lower.equals(IDEMPOTENCY_KEY)) {
                key = Optional.of(headers.get(i + 1).trim());
            } else if (!NOT_STORED.contains(lower)) {
                kept.add(n);
                kept.add(headers.get(i + 1));
            }
        }
        if (key.isPresent() && (key.get().isEmpty() || key.get().length() > 256)) {
            return CompletableFuture.completedFuture(new Acceptance.Rejected(400, "bad idempotency key",
                    "Idempotency-Key must be 1 to 256 characters; it has " + key.get().length()));
        }
        // every attempt of the invocation runs in one trace: the caller's, or one started now
        kept = new ArrayList<>(dev.nest.common.TraceContext.ensured(kept, java.util.concurrent.ThreadLocalRandom.current()));
        Instant now = clock.instant();
        NewEvent e = new NewEvent(InvocationIds.next(now.toEpochMilli()), version.spec().id().toString(), method,
                path.isEmpty() ? "/" : path, query, kept, body, key, now);
        return queue.enqueue(e).handle((ok, x) -> {
            if (x != null) {
                Throwable c = x.getCause() != null ? x.getCause() : x;
                return c instanceof AsyncException a ? new Acceptance.Rejected(a.status(), a.error(), a.detail())
                        : new Acceptance.Rejected(503, "async queue unavailable", String.valueOf(c.getMessage()));
            }
            if (!ok.duplicate()) {
                wake.run();
            }
            return new Acceptance.Accepted(ok.id(), ok.duplicate());
        });
    }
}
