package dev.nest.limits;

import dev.nest.common.ErrorResponse;
import dev.nest.common.Rate;
import dev.nest.function.DegradeSpec;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionSpec;
import dev.nest.function.LimitsSpec;
import dev.nest.namespace.NamespaceRate;
import dev.nest.namespace.NamespaceRates;
import dev.nest.store.InvocationRecord;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The gateway's admission decisions, made in one call before an instance is leased ({@link #admit}) and fed with
 * every invocation's outcome after ({@link #record}):
 * <ol>
 *   <li><b>Rate limits</b>: the function's ({@code limits.rate}/{@code limits.burst} in its spec), its namespace's
 *       ({@code limits.rate}/{@code limits.burst} in its settings, read through {@link NamespaceRates}) and the
 *       calling token's ({@link Caller#rate()}, with the default burst, {@link Rate#defaultBurst()}), each a token bucket of which this
 *       gateway enforces {@code 1/n} for {@code n} live gateways ({@link GatewayCount}). Over any of them: 429 with
 *       {@code Retry-After} (and {@code retryAfterSeconds}) from when that bucket has a token again.</li>
 *   <li><b>Degradation</b>: the function's circuit breaker ({@code degrade:} in its spec, see {@link Breaker}). While
 *       it is open the caller gets the fallback ({@link Decision.Degrade}), or 503 with {@code Retry-After} when the
 *       spec has none.</li>
 * </ol>
 * Async deliveries (work already accepted, which the dispatcher retries) pass the rate limits (they were counted when
 * the request was accepted) and are never served a fallback: an open breaker refuses them with 503, so the event is
 * tried again later rather than recorded as answered by the fallback.
 *
 * <p>What counts for the breaker: a call that reached an instance (failed when its status is 5xx: the function's own
 * error, a timeout, a failed instance) and a call whose instance could not be started (5xx other than 503); refusals
 * before any instance (429, a 503 when the queue wait ran out) say nothing about the function and are left out. The
 * latency is the whole time the caller waited. Each node keeps its own breakers and buckets; calls forwarded to a
 * peer count on the peer.
 *
 * <p>Threads: {@link #admit} and {@link #record} run on gateway event loops and never block (a few map lookups and
 * short synchronized updates); the read methods may be called from any thread. Times come from the {@code nanoTime}
 * supplier (monotonic) and the {@code clock} (history); nothing here reads the system clock itself.
 */
public final class Admission {
    /** The response header on an answer served by a fallback: functions cannot set {@code x-nest-*} headers. */
    public static final String DEGRADED_HEADER = "x-nest-degraded";
    private static final long PROBE_SLACK_NANOS = 1_000_000_000L;

    private final NamespaceRates namespaces;
    private final GatewayCount gateways;
    private final Clock clock;
    private final LongSupplier nanoTime;
    private final RateLimits buckets = new RateLimits();
    private final Map<FunctionId, Breaker> breakers = new ConcurrentHashMap<>();
    private final Map<RefusalKey, LongAdder> refused = new ConcurrentHashMap<>();

    private record RefusalKey(String function, String limit) {
    }

    /**
     * @param namespaces the namespaces' limits
     * @param gateways   how many gateways share each limit
     * @param clock      wall time for the breakers' history
     * @param nanoTime   monotonic time for the buckets and the breakers' windows ({@code System::nanoTime})
     */
    public Admission(NamespaceRates namespaces, GatewayCount gateways, Clock clock, LongSupplier nanoTime) {
        this.namespaces = namespaces;
        this.gateways = gateways;
        this.clock = clock;
        this.nanoTime = nanoTime;
    }

    /** Admission with the limits of the specs and tokens only: no namespace limits, this node alone. */
    public static Admission local(Clock clock) {
        return new Admission(NamespaceRates.NONE, GatewayCount.ONE, clock, System::nanoTime);
    }

    /**
     * Decides whether an invocation of {@code spec}'s function goes on.
     *
     * @param caller   the authenticated token, for a function that takes tokens; empty otherwise
     * @param delivery whether this is an async delivery (see the class comment)
     */
    public Decision admit(FunctionSpec spec, Optional<Caller> caller, boolean delivery) {
        if (!delivery) {
            Decision limited = limit(spec, caller);
            if (limited instanceof Decision.Refuse) {
                return limited;
            }
        }
        if (spec.degrade().isEmpty()) {
            if (!breakers.isEmpty()) {
                breakers.remove(spec.id());
            }
            return Decision.ADMIT;
        }
        long now = nanoTime.getAsLong();
        DegradeSpec d = spec.degrade().get();
        Breaker b = breaker(spec, d, now);
        long wait = b.tryPass(now, clock.instant());
        if (wait == 0) {
            return Decision.ADMIT;
        }
        int retry = seconds(wait);
        if (delivery || d.fallback().isEmpty()) {
            return new Decision.Refuse(new ErrorResponse(503, "function degraded", "the circuit breaker of function "
                    + spec.id() + " is " + b.state().key() + " (see GET /api/v1/functions/" + spec.id().name()
                    + "/degrade?namespace=" + spec.id().namespace() + "); it lets calls through again in about "
                    + retry + " s", null, java.util.OptionalInt.of(retry)));
        }
        return new Decision.Degrade(d.fallback().get(), retry);
    }

    /**
     * The rate limits alone: {@link Decision#ADMIT} or a 429 {@link Decision.Refuse}. An async request is checked
     * with this when it is accepted (its delivery later is not limited again, and meets the breaker then).
     */
    public Decision limit(FunctionSpec spec, Optional<Caller> caller) {
        Optional<NamespaceRate> nsRate = namespaces.rate(spec.id().namespace());
        if (spec.limits().rate().isEmpty() && nsRate.isEmpty()
                && (caller.isEmpty() || caller.get().rate().isEmpty())) {
            return Decision.ADMIT;
        }
        List<RateLimits.Limit> limits = limits(spec, nsRate, caller);
        int live = gateways.live();
        Optional<RateLimits.Refusal> no = buckets.take(limits, live, nanoTime.getAsLong());
        return no.isPresent() ? refuse(spec.id(), no.get(), live) : Decision.ADMIT;
    }

    private static List<RateLimits.Limit> limits(FunctionSpec spec, Optional<NamespaceRate> nsRate,
            Optional<Caller> caller) {
        List<RateLimits.Limit> out = new ArrayList<>(3);
        LimitsSpec l = spec.limits();
        l.rate().ifPresent(r -> out.add(new RateLimits.Limit(RateLimits.Kind.FUNCTION, spec.id().toString(), r,
                l.burst())));
        nsRate.ifPresent(r -> out.add(new RateLimits.Limit(RateLimits.Kind.NAMESPACE, spec.id().namespace(), r.rate(),
                r.burst())));
        caller.ifPresent(c -> c.rate().ifPresent(r -> out.add(new RateLimits.Limit(RateLimits.Kind.TOKEN, c.token(), r,
                r.defaultBurst()))));
        return out;
    }

    private Decision refuse(FunctionId id, RateLimits.Refusal no, int live) {
        RateLimits.Limit l = no.limit();
        refused.computeIfAbsent(new RefusalKey(id.toString(), l.kind().key()), k -> new LongAdder()).increment();
        String whose = switch (l.kind()) {
            case FUNCTION -> "function " + l.name() + " is limited to " + l.rate() + " (burst " + l.burst() + ", "
                    + "limits: in its spec)";
            case NAMESPACE -> "namespace " + l.name() + " is limited to " + l.rate() + " (burst " + l.burst()
                    + ", its settings: GET /api/v1/namespaces/" + l.name() + ")";
            case TOKEN -> "token " + l.name() + " is limited to " + l.rate() + " (burst " + l.burst()
                    + ", set when it was created)";
        };
        int retry = seconds(no.waitNanos());
        String share = live > 1 ? "; each of the " + live + " gateways enforces 1/" + live + " of it" : "";
        return new Decision.Refuse(new ErrorResponse(429, "rate limited", whose + share + "; retry in " + retry + " s",
                null, java.util.OptionalInt.of(retry)));
    }

    private Breaker breaker(FunctionSpec spec, DegradeSpec d, long now) {
        Breaker b = breakers.get(spec.id());
        if (b != null && b.spec.equals(d)) {
            return b;
        }
        long probeTimeout = spec.queue().timeout().toNanos() + spec.timeout().toNanos() + PROBE_SLACK_NANOS;
        return breakers.compute(spec.id(), (k, cur) -> cur != null && cur.spec.equals(d) ? cur
                : cur == null ? new Breaker(k.toString(), d, probeTimeout, now, clock.instant(), List.of(), 0, 0)
                : new Breaker(k.toString(), d, probeTimeout, now, clock.instant(), cur.history(), cur.fallbacks(),
                        cur.opened()));
    }

    /** Seconds for a {@code Retry-After}: rounded up, 1 to 60. */
    static int seconds(long nanos) {
        return ErrorResponse.clampRetryAfter((nanos + 999_999_999L) / 1_000_000_000L);
    }

    /** Counts one finished invocation's outcome for its function's breaker (see the class comment). */
    public void record(InvocationRecord r) {
        if (breakers.isEmpty()) {
            return;
        }
        FunctionId id;
        try {
            id = FunctionId.parse(r.function());
        } catch (IllegalArgumentException e) {
            return;
        }
        Breaker b = breakers.get(id);
        if (b == null) {
            return;
        }
        boolean reached = !r.instance().isEmpty();
        if (!reached && (r.status() < 500 || r.status() == 503)) {
            return; // refused before any instance: says nothing about the function
        }
        b.record(r.status() >= 500, r.durationMs(), nanoTime.getAsLong(), clock.instant());
    }

    /** The breaker of {@code id} on this node, when its live spec has a {@code degrade:} block and it was called. */
    public Optional<DegradeStatus> degrade(FunctionId id) {
        return Optional.ofNullable(breakers.get(id)).map(b -> b.status(nanoTime.getAsLong()));
    }

    /** Every breaker on this node, by function. */
    public List<DegradeStatus> breakers() {
        long now = nanoTime.getAsLong();
        return breakers.values().stream().map(b -> b.status(now)).sorted(Comparator.comparing(DegradeStatus::function))
                .toList();
    }

    /** The 429s of each function by kind of limit, since the node started. */
    public List<RateLimited> rateLimited() {
        return refused.entrySet().stream().map(e -> new RateLimited(e.getKey().function(), e.getKey().limit(),
                e.getValue().sum())).sorted(Comparator.comparing(RateLimited::function)
                .thenComparing(RateLimited::limit)).toList();
    }
}
