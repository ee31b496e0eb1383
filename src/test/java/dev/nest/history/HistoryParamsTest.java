package dev.nest.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class HistoryParamsTest {
    private static final Instant NOW = Instant.parse("2025-06-01T12:00:00Z");

    private static HistoryParams parse(Map<String, String> q) {
        return HistoryParams.parse(Optional.empty(), n -> Optional.ofNullable(q.get(n)), NOW, 50, 1000);
    }

    @Test
    void hostileValuesAreRefusedNamingTheParameterAndWhatIsAllowed() {
        record Row(String param, String value) {
        }
        for (Row r : List.of(new Row("limit", "0"), new Row("limit", "-1"), new Row("limit", "1e3"),
                new Row("limit", "99999999999"), new Row("version", "0"), new Row("version", "v2"),
                new Row("status", "600"), new Row("status", "ok;drop"), new Row("cold", "yes"),
                new Row("since", "yesterday"), new Row("since", "10x"), new Row("since", "99999999m"),
                new Row("until", "2025-13-01T00:00:00Z"), new Row("invocation", "a/b"), new Row("trace", "0AF7651916CD43DD8448EB211C80319C"),
                new Row("trace", "0af7"),
                new Row("invocation", "x".repeat(65)), new Row("cursor", "not base64!"),
                new Row("since", "\u0000\n" + "a".repeat(100)))) {
            HistoryException e = assertThrows(HistoryException.class, () -> parse(Map.of(r.param(), r.value())),
                    r.toString());
            assertTrue(e.getMessage().startsWith("query parameter '" + r.param() + "'"), e.getMessage());
            assertTrue(e.getMessage().contains("allowed"), e.getMessage());
            assertTrue(e.getMessage().length() < 300 && !e.getMessage().contains("\n"), e.getMessage());
        }
    }

    @Test
    void aCursorFromAnotherListOrMadeUpIsRefused() {
        HistoryParams p = parse(Map.of("cursor", "bm90IGEgY3Vyc29y"));
        assertThrows(HistoryException.class, p::invocations);
        assertThrows(HistoryException.class, () -> Cursors.lines("aQoyMDI1LTA2LTAxVDEyOjAwOjAwWgpmb28", "n"));
    }

    @Test
    void timesAreAbsoluteOrRelativeAndTheLimitIsCapped() {
        HistoryParams p = parse(Map.of("since", "10m", "until", "2025-06-01T13:00:00+01:00", "limit", "5000"));
        assertEquals(Optional.of(NOW.minusSeconds(600)), p.since());
        assertEquals(Optional.of(NOW), p.until());
        assertEquals(1000, p.limit());
        assertEquals("2025-06-01T11:50:00Z", p.forward().get("since"), "peers get absolute times");
        assertThrows(HistoryException.class, () -> parse(Map.of("since", "1m", "until", "2m")),
                "since after until");
    }

    @Test
    void followPositionsRoundTripAndRefuseForgeries() {
        FollowPositions p = FollowPositions.none().with("node-a", 12).with("odd=node&x", 3);
        assertEquals(p, FollowPositions.parse(p.id()));
        assertTrue(p.id().matches("[A-Za-z0-9_-]+"));
        for (String bad : List.of("!!", "bm9kZQ", "bm9kZT0tMQ", "x".repeat(70_000))) {
            assertThrows(HistoryException.class, () -> FollowPositions.parse(bad), bad);
        }
        assertEquals(FollowPositions.none(), FollowPositions.parse(""));
    }
}
