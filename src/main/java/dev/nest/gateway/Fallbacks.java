package dev.nest.gateway;

import dev.nest.common.ErrorResponse;
import dev.nest.function.DegradeSpec;
import dev.nest.function.FunctionCatalog;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionVersion;
import dev.nest.function.InvocationAuth;
import dev.nest.limits.Admission;
import dev.nest.limits.Caller;
import dev.nest.limits.Decision;
import dev.nest.sidecar.InstanceLeases;
import dev.nest.store.InvocationRecord;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Consumer;

/**
 * What the gateway does with an invocation that {@link Admission} did not admit: a refusal (429 over a rate limit,
 * 503 from an open breaker without a fallback) is answered and recorded like any error before a lease; a fixed
 * fallback is answered as written, with {@code x-nest-invocation-id} and {@code x-nest-degraded: fallback} (not
 * recorded as an invocation: the function did not run; the breaker counts it); a function fallback is that function's
 * live version, which the caller then invokes as usual after its own admission (a fallback's breaker never sends on
 * to a further fallback: open, it answers 503). A public function whose fallback takes tokens checks the caller's
 * token first, so a breaker never opens a way around {@code auth: token}.
 *
 * <p>Threads: the loop thread of the connection.
 */
final class Fallbacks {
    /** The gateway's token check for a function (answers 401/403 itself and gives empty). */
    @FunctionalInterface
    interface Authorizing {
        Optional<Caller> authorized(ClientConnection c, FunctionId id, String invocationId);
    }

    private final FunctionCatalog catalog;
    private final Admission admission;
    private final InstanceLeases leases;
    private final Consumer<InvocationRecord> records;
    private final TrustedProxies trusted;
    private final Authorizing auth;

    Fallbacks(FunctionCatalog catalog, Admission admission, InstanceLeases leases, Consumer<InvocationRecord> records,
              TrustedProxies trusted, Authorizing auth) {
        this.catalog = catalog;
        this.admission = admission;
        this.leases = leases;
        this.records = records;
        this.trusted = trusted;
        this.auth = auth;
    }

    /**
     * Answers {@code decision} for an invocation of {@code version}; the version to invoke instead when it is a
     * function fallback that may be invoked, empty when the call was answered here.
     */
    Optional<FunctionVersion> serve(ClientConnection c, Decision decision, FunctionVersion version,
                                    Optional<Caller> caller, String invocationId, Instant started, long t0,
                                    String rest) {
        switch (decision) {
            case Decision.Admit a -> {
                return Optional.of(version);
            }
            case Decision.Refuse r -> {
                call(c, version, invocationId, started, t0, rest).refuse(r.error());
                return Optional.empty();
            }
            case Decision.Degrade d when d.fallback() instanceof DegradeSpec.FixedResponse f -> {
                c.respond(f.status(), headers(f.headers()), null, f.body().getBytes(StandardCharsets.UTF_8),
                        "x-nest-invocation-id", invocationId, Admission.DEGRADED_HEADER, "fallback");
                return Optional.empty();
            }
            case Decision.Degrade d -> {
                String name = ((DegradeSpec.FunctionFallback) d.fallback()).function();
                FunctionId other = new FunctionId(version.spec().id().namespace(), name);
                Optional<FunctionVersion> live = catalog.get(other).flatMap(FunctionRecord::liveVersion);
                if (live.isEmpty()) {
                    call(c, version, invocationId, started, t0, rest).refuse(unavailable(version, d,
                            "its fallback function " + other + " is not deployed"));
                    return Optional.empty();
                }
                FunctionVersion fb = live.get();
                Optional<Caller> who = caller;
                if (fb.spec().auth() == InvocationAuth.TOKEN && version.spec().auth() != InvocationAuth.TOKEN) {
                    who = auth.authorized(c, other, invocationId);
                    if (who.isEmpty()) {
                        return Optional.empty();
                    }
                }
                Decision again = admission.admit(fb.spec(), who.filter(w -> !w.token().isEmpty()), false);
                switch (again) {
                    case Decision.Admit a -> {
                        return Optional.of(fb);
                    }
                    case Decision.Refuse r -> call(c, fb, invocationId, started, t0, rest).refuse(r.error());
                    case Decision.Degrade d2 -> call(c, version, invocationId, started, t0, rest).refuse(
                            unavailable(version, d, "its fallback function " + other + " is degraded too"));
                }
                return Optional.empty();
            }
        }
    }

    /** Where the spans of the refusals this answers go ({@link Gateway#spans}). */
    volatile java.util.function.Consumer<InvocationSpan> spans = s -> { };

    private Call call(ClientConnection c, FunctionVersion v, String invocationId, Instant started, long t0, String rest) {
        Call call = new Call(c, v, v.spec().id().toString(), invocationId, started, t0, rest, leases, records, trusted);
        call.spans = spans;
        return call;
    }

    private static ErrorResponse unavailable(FunctionVersion v, Decision.Degrade d, String why) {
        return new ErrorResponse(503, "function degraded", "the circuit breaker of function " + v.spec().id()
                + " is open and " + why, null, OptionalInt.of(d.retryAfterSeconds()));
    }

    private static List<String> headers(Map<String, String> h) {
        List<String> out = new ArrayList<>(h.size() * 2);
        h.forEach((k, v) -> {
            out.add(k);
            out.add(v);
        });
        return out;
    }
}
