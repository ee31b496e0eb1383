package dev.nest.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.common.Rate;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The buckets of several limits, and each gateway's share of them. */
class RateLimitsTest {
    private static final long S = 1_000_000_000L;
    private static final RateLimits.Limit FN = new RateLimits.Limit(RateLimits.Kind.FUNCTION, "default/hello",
            Rate.parse("10/s"), 4);
    private static final RateLimits.Limit TOKEN = new RateLimits.Limit(RateLimits.Kind.TOKEN, "ci", Rate.parse("2/s"), 2);

    @ParameterizedTest(name = "{0}/{1} burst {2} over {3} gateways: capacity {4}, {5} ms per token")
    @CsvSource({
        "100, s, 200, 1, 200,  10",
        "100, s, 200, 4, 50,   40",
        "100, s, 2,   4, 1,    40",
        "600, m, 600, 3, 200,  300",
        "100, s, 200, 0, 200,  10"})
    void eachGatewayEnforcesItsShare(long count, String unit, int burst, int gateways, double capacity, double ms) {
        RateLimits.Limit l = new RateLimits.Limit(RateLimits.Kind.FUNCTION, "f", Rate.parse(count + "/" + unit), burst);
        assertEquals(capacity, RateLimits.capacity(l, gateways), 1e-9);
        assertEquals(ms * 1e6, RateLimits.nanosPerToken(l, gateways), 1e-3);
    }

    @Test
    void aRequestPassesOnlyWhenEveryBucketHasATokenAndTakesNoneOtherwise() {
        RateLimits r = new RateLimits();
        assertEquals(Optional.empty(), r.take(List.of(FN, TOKEN), 1, 0));
        assertEquals(Optional.empty(), r.take(List.of(FN, TOKEN), 1, 0));
        Optional<RateLimits.Refusal> no = r.take(List.of(FN, TOKEN), 1, 0);
        assertTrue(no.isPresent());
        assertEquals(TOKEN, no.get().limit());
        assertEquals(S / 2, no.get().waitNanos(), "the token's bucket refills one every 500 ms");
        // the function's bucket gave its token back: two more pass without the token limit
        assertEquals(Optional.empty(), r.take(List.of(FN), 1, 0));
        assertEquals(Optional.empty(), r.take(List.of(FN), 1, 0));
        assertEquals(RateLimits.Kind.FUNCTION, r.take(List.of(FN), 1, 0).orElseThrow().limit().kind());
    }

    @Test
    void whenAGatewayJoinsTheBucketShrinksAndKeepsItsTokens() {
        RateLimits r = new RateLimits();
        RateLimits.Limit l = new RateLimits.Limit(RateLimits.Kind.NAMESPACE, "shop", Rate.parse("10/s"), 10);
        for (int i = 0; i < 4; i++) {
            assertEquals(Optional.empty(), r.take(List.of(l), 1, 0));
        }
        // six tokens left; with two gateways the bucket holds five
        for (int i = 0; i < 5; i++) {
            assertEquals(Optional.empty(), r.take(List.of(l), 2, 0), "token " + i);
        }
        RateLimits.Refusal no = r.take(List.of(l), 2, 0).orElseThrow();
        assertEquals(S / 5, no.waitNanos(), "at half of 10/s a token comes every 200 ms");
    }

    @Test
    void keysOfDifferentKindsDoNotShareABucket() {
        RateLimits r = new RateLimits();
        RateLimits.Limit a = new RateLimits.Limit(RateLimits.Kind.NAMESPACE, "x", Rate.parse("1/s"), 1);
        RateLimits.Limit b = new RateLimits.Limit(RateLimits.Kind.TOKEN, "x", Rate.parse("1/s"), 1);
        assertEquals(Optional.empty(), r.take(List.of(a), 1, 0));
        assertEquals(Optional.empty(), r.take(List.of(b), 1, 0));
        assertTrue(r.take(List.of(a), 1, 0).isPresent());
    }
}
