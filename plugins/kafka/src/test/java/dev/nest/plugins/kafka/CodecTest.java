package dev.nest.plugins.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.nest.async.EventState;
import dev.nest.async.NewEvent;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CodecTest {
    private static final NewEvent EVENT = new NewEvent("inv-1", "default/fn", "POST", "/a/b", "x=1",
            List.of("traceparent", "00-abc-def-01", "content-type", "application/json"), new byte[] {0, 1, 2, -1},
            Optional.of("key-ü"), Instant.ofEpochMilli(1_700_000_000_123L));

    @Test
    void anEnvelopeComesBackAsItWent() {
        Envelope e = Envelope.decode(new Envelope(EVENT, 2, 1, 1_700_000_005_000L).encode());
        assertEquals(EVENT.id(), e.event().id());
        assertEquals(EVENT.headers(), e.event().headers());
        assertArrayEquals(EVENT.body(), e.event().body());
        assertEquals(EVENT.idempotencyKey(), e.event().idempotencyKey());
        assertEquals(EVENT.enqueuedAt(), e.event().enqueuedAt());
        assertEquals(List.of(2, 1, 1_700_000_005_000L), List.of(e.attempt(), e.rejections(), e.notBefore()));
    }

    @Test
    void aLedgerEntryComesBackAsItWent() {
        LedgerEntry in = new LedgerEntry("inv-1", "default/fn", EventState.DEAD, 3, 10, 0, 503, 12, "boom",
                Optional.of(new byte[] {9}), 99, Optional.of("k"), Optional.of(EVENT), 100);
        LedgerEntry out = LedgerEntry.decode(in.encode());
        assertEquals(List.of(in.id(), in.function(), in.state(), in.attempt(), in.status(), in.lastError(), in.finishedAt(),
                in.idemKey(), in.updatedAt()), List.of(out.id(), out.function(), out.state(), out.attempt(), out.status(),
                out.lastError(), out.finishedAt(), out.idemKey(), out.updatedAt()));
        assertArrayEquals(new byte[] {9}, out.result().orElseThrow());
        assertEquals(EVENT.path(), out.request().orElseThrow().path());
        assertEquals(Optional.of(Instant.ofEpochMilli(99)), out.view().finishedAt());
    }

    @Test
    void garbageIsRefusedNotMisread() {
        assertThrows(IllegalArgumentException.class, () -> Envelope.decode(new byte[] {7, 1, 2}));
        assertThrows(IllegalArgumentException.class, () -> Envelope.decode(new byte[] {1, 0, 0}));
        assertThrows(IllegalArgumentException.class, () -> LedgerEntry.decode(new byte[0]));
    }
}
