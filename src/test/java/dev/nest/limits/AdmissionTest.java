package dev.nest.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.common.ErrorResponse;
import dev.nest.common.Rate;
import dev.nest.function.DegradeSpec;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionSpec;
import dev.nest.function.LimitsSpec;
import dev.nest.function.QueueSpec;
import dev.nest.function.ScalingSpec;
import dev.nest.namespace.NamespaceRate;
import dev.nest.store.InvocationRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The gateway's admission: which limits apply, what a refusal says, and when the breaker takes over. */
class AdmissionTest {
    private static final long S = 1_000_000_000L;
    private static final FunctionId HELLO = FunctionId.of("shop", "hello");
    private static final Instant T0 = Instant.parse("2026-01-02T03:04:05Z");

    private final AtomicLong nanos = new AtomicLong(5 * S);
    private final AtomicInteger gateways = new AtomicInteger(1);
    private final Map<String, NamespaceRate> namespaceRates = new java.util.HashMap<>();
    private final Admission admission = new Admission(ns -> Optional.ofNullable(namespaceRates.get(ns)), gateways::get,
            Clock.fixed(T0, ZoneOffset.UTC), nanos::get);

    private static FunctionSpec spec(LimitsSpec limits, Optional<DegradeSpec> degrade) {
        return new FunctionSpec(HELLO, "fake", "", 128, Duration.ofSeconds(5), 1, Map.of(),
                new ScalingSpec(0, 2, Duration.ofMinutes(10)), new QueueSpec(10, Duration.ofSeconds(5)))
                .withProtection(limits, degrade);
    }

    private static DegradeSpec breaker(Optional<DegradeSpec.Fallback> fallback) {
        return new DegradeSpec(OptionalInt.of(50), Optional.empty(), 99, Duration.ofSeconds(10), 2,
                Duration.ofSeconds(30), 1, fallback);
    }

    private static InvocationRecord outcome(int status, String instance) {
        return new InvocationRecord("inv", HELLO.toString(), 1, T0, 12, status, false, instance, "", Map.of());
    }

    private static ErrorResponse refusal(Decision d) {
        return assertInstanceOf(Decision.Refuse.class, d).error();
    }

    @Test
    void aFunctionWithoutLimitsOrBreakerIsAlwaysAdmitted() {
        FunctionSpec s = spec(LimitsSpec.NONE, Optional.empty());
        for (int i = 0; i < 1000; i++) {
            assertEquals(Decision.ADMIT, admission.admit(s, Optional.empty(), false));
        }
        assertEquals(List.of(), admission.rateLimited());
    }

    @Test
    void overTheFunctionsLimitA429SaysWhenToComeBack() {
        FunctionSpec s = spec(new LimitsSpec(Optional.of(Rate.parse("2/s")), 2), Optional.empty());
        assertEquals(Decision.ADMIT, admission.admit(s, Optional.empty(), false));
        assertEquals(Decision.ADMIT, admission.admit(s, Optional.empty(), false));
        ErrorResponse e = refusal(admission.admit(s, Optional.empty(), false));
        assertEquals(429, e.status());
        assertEquals(OptionalInt.of(1), e.retryAfterSeconds());
        assertTrue(e.detail().contains("function shop/hello is limited to 2/s (burst 2"), e.detail());
        nanos.addAndGet(S / 2);
        assertEquals(Decision.ADMIT, admission.admit(s, Optional.empty(), false), "a token came back after 500 ms");
        assertEquals(List.of(new RateLimited("shop/hello", "function", 1)), admission.rateLimited());
    }

    @Test
    void aSlowRateGivesALongerRetryAfterCappedAtAMinute() {
        FunctionSpec s = spec(new LimitsSpec(Optional.of(Rate.parse("6/m")), 1), Optional.empty());
        admission.admit(s, Optional.empty(), false);
        assertEquals(OptionalInt.of(10), refusal(admission.admit(s, Optional.empty(), false)).retryAfterSeconds());
        FunctionSpec slow = spec(new LimitsSpec(Optional.of(Rate.parse("1/m")), 1), Optional.empty()).withId(
                FunctionId.of("shop", "slow"));
        admission.admit(slow, Optional.empty(), false);
        assertEquals(OptionalInt.of(60), refusal(admission.admit(slow, Optional.empty(), false)).retryAfterSeconds());
    }

    @ParameterizedTest(name = "{0} gateways: {1} admitted at once")
    @CsvSource({"1, 8", "2, 4", "4, 2", "16, 1"})
    void eachGatewayAdmitsItsShareOfTheBurst(int live, int admitted) {
        gateways.set(live);
        FunctionSpec s = spec(new LimitsSpec(Optional.of(Rate.parse("8/s")), 8), Optional.empty());
        int n = 0;
        while (admission.admit(s, Optional.empty(), false) == Decision.ADMIT) {
            n++;
        }
        assertEquals(admitted, n);
        if (live > 1) {
            assertTrue(refusal(admission.admit(s, Optional.empty(), false)).detail()
                    .contains("each of the " + live + " gateways enforces 1/" + live));
        }
    }

    @Test
    void theNamespaceAndTheTokenHaveLimitsOfTheirOwn() {
        FunctionSpec s = spec(LimitsSpec.NONE, Optional.empty());
        FunctionSpec other = s.withId(FunctionId.of("shop", "other"));
        namespaceRates.put("shop", NamespaceRate.of(Rate.parse("3/s")));
        assertEquals(Decision.ADMIT, admission.admit(s, Optional.empty(), false));
        assertEquals(Decision.ADMIT, admission.admit(other, Optional.empty(), false));
        assertEquals(Decision.ADMIT, admission.admit(other, Optional.empty(), false));
        ErrorResponse e = refusal(admission.admit(s, Optional.empty(), false));
        assertTrue(e.detail().contains("namespace shop is limited to 3/s (burst 3"), e.detail());
        namespaceRates.clear();
        Caller ci = new Caller("ci", Optional.of(Rate.parse("1/s")));
        assertEquals(Decision.ADMIT, admission.admit(s, Optional.of(ci), false));
        e = refusal(admission.admit(other, Optional.of(ci), false));
        assertTrue(e.detail().contains("token ci is limited to 1/s"), e.detail());
        assertEquals(Decision.ADMIT, admission.admit(other, Optional.of(new Caller("ci", Optional.empty())), false),
                "a token without a rate is not limited");
        assertEquals(List.of(new RateLimited("shop/hello", "namespace", 1), new RateLimited("shop/other", "token", 1)),
                admission.rateLimited());
    }

    /** A namespace's burst is its own ({@code limits.burst} in its settings), shared by all of its functions. */
    @ParameterizedTest(name = "{0} burst {1}, {2} gateways: {3} at once")
    @CsvSource({
        "10/s,   5,  1, 5",
        "10/s,   5,  2, 2",
        "600/m,  1,  1, 1",
        "600/m, 50,  1, 50",
        "1/h,   20,  1, 20",
        "1/h,   20,  4, 5"})
    void aNamespaceLimitAdmitsItsBurstAtOnceThenRefillsAtItsRate(String rate, int burst, int live, int atOnce) {
        gateways.set(live);
        Rate r = Rate.parse(rate);
        namespaceRates.put("shop", new NamespaceRate(r, burst));
        FunctionSpec hello = spec(LimitsSpec.NONE, Optional.empty());
        FunctionSpec other = hello.withId(FunctionId.of("shop", "other"));
        for (int i = 0; i < atOnce; i++) {
            assertEquals(Decision.ADMIT, admission.admit(i % 2 == 0 ? hello : other, Optional.empty(), false),
                    "call " + (i + 1) + " of the burst");
        }
        ErrorResponse e = refusal(admission.admit(other, Optional.empty(), false));
        assertEquals(429, e.status());
        assertTrue(e.detail().contains("namespace shop is limited to " + rate + " (burst " + burst), e.detail());
        long oneToken = (long) Math.ceil(r.nanosPerRequest() * live);
        assertEquals(OptionalInt.of(Admission.seconds(oneToken)), e.retryAfterSeconds());
        assertEquals(Decision.ADMIT, admission.admit(hello.withId(FunctionId.of("billing", "x")), Optional.empty(),
                false), "another namespace is not limited");
        nanos.addAndGet(oneToken);
        assertEquals(Decision.ADMIT, admission.admit(hello, Optional.empty(), false), "a token came back");
        assertInstanceOf(Decision.Refuse.class, admission.admit(hello, Optional.empty(), false));
    }

    @Test
    void aTokensBurstIsTheRatesCountAsInASpec() {
        FunctionSpec s = spec(LimitsSpec.NONE, Optional.empty());
        Caller ci = new Caller("ci", Optional.of(Rate.parse("6/m")));
        for (int i = 0; i < 6; i++) {
            assertEquals(Decision.ADMIT, admission.admit(s, Optional.of(ci), false), "call " + (i + 1));
        }
        ErrorResponse e = refusal(admission.admit(s, Optional.of(ci), false));
        assertTrue(e.detail().contains("token ci is limited to 6/m (burst 6"), e.detail());
        assertEquals(OptionalInt.of(10), e.retryAfterSeconds());
    }

    @Test
    void anAsyncDeliveryIsNotLimitedAgain() {
        FunctionSpec s = spec(new LimitsSpec(Optional.of(Rate.parse("1/s")), 1), Optional.empty());
        assertEquals(Decision.ADMIT, admission.limit(s, Optional.empty()), "counted when it was accepted");
        assertEquals(429, refusal(admission.limit(s, Optional.empty())).status());
        assertEquals(Decision.ADMIT, admission.admit(s, Optional.empty(), true));
    }

    @Test
    void anOpenBreakerServesTheFallbackOrRefusesWith503() {
        DegradeSpec.Fallback fixed = new DegradeSpec.FixedResponse(200, Map.of(), "cached");
        FunctionSpec s = spec(LimitsSpec.NONE, Optional.of(breaker(Optional.of(fixed))));
        assertEquals(Decision.ADMIT, admission.admit(s, Optional.empty(), false));
        assertEquals(Optional.of(BreakerState.CLOSED), admission.degrade(HELLO).map(DegradeStatus::state));
        admission.record(outcome(500, "i-1"));
        admission.record(outcome(200, "i-1"));
        assertEquals(BreakerState.OPEN, admission.degrade(HELLO).orElseThrow().state());
        assertEquals(new Decision.Degrade(fixed, 30), admission.admit(s, Optional.empty(), false));
        ErrorResponse e = refusal(admission.admit(s, Optional.empty(), true));
        assertEquals(503, e.status());
        assertEquals(OptionalInt.of(30), e.retryAfterSeconds(), "a delivery is refused, to be tried again later");
        FunctionSpec none = spec(LimitsSpec.NONE, Optional.of(breaker(Optional.empty())));
        assertEquals(Decision.ADMIT, admission.admit(none, Optional.empty(), false), "a changed block: a closed breaker");
        DegradeStatus st = admission.degrade(HELLO).orElseThrow();
        assertEquals(BreakerState.CLOSED, st.state());
        assertEquals(1, st.opened(), "its history is kept");
        assertEquals(1, st.transitions().size());
        assertEquals(2, st.fallbacks());
        admission.record(outcome(500, "i-1"));
        admission.record(outcome(500, "i-1"));
        e = refusal(admission.admit(none, Optional.empty(), false));
        assertEquals(503, e.status(), "without a fallback: 503");
        assertEquals(OptionalInt.of(30), e.retryAfterSeconds());
        assertTrue(e.detail().contains("/api/v1/functions/hello/degrade?namespace=shop"), e.detail());
    }

    @Test
    void refusalsBeforeAnyInstanceDoNotCountForTheBreaker() {
        FunctionSpec s = spec(LimitsSpec.NONE, Optional.of(breaker(Optional.empty())));
        admission.admit(s, Optional.empty(), false);
        admission.record(outcome(503, ""));
        admission.record(outcome(429, ""));
        admission.record(outcome(404, ""));
        assertEquals(BreakerState.CLOSED, admission.degrade(HELLO).orElseThrow().state());
        assertEquals(0, admission.degrade(HELLO).orElseThrow().calls());
        admission.record(outcome(502, "")); // the instance could not be started
        admission.record(outcome(504, "i-1"));
        assertEquals(BreakerState.OPEN, admission.degrade(HELLO).orElseThrow().state());
        assertEquals(List.of("shop/hello"), admission.breakers().stream().map(DegradeStatus::function).toList());
    }

    @Test
    void aSpecWithoutTheBlockDropsTheBreaker() {
        admission.admit(spec(LimitsSpec.NONE, Optional.of(breaker(Optional.empty()))), Optional.empty(), false);
        assertTrue(admission.degrade(HELLO).isPresent());
        admission.admit(spec(LimitsSpec.NONE, Optional.empty()), Optional.empty(), false);
        assertEquals(Optional.empty(), admission.degrade(HELLO));
    }
}
