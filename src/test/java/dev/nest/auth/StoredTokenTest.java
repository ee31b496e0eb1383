package dev.nest.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class StoredTokenTest {
    private static final Instant NOW = Instant.parse("2026-12-01T00:00:00Z");

    @Test
    void theStoredFormRoundTripsAndHoldsNoSecret() {
        TokenSecret secret = TokenSecret.generate();
        StoredToken t = StoredToken.issue(new NewToken("ci", Role.DEVELOPER, List.of("shop", "team-*"),
                Optional.of(NOW.plusSeconds(60))), secret, NOW).withLastUsed(NOW.plusSeconds(1));
        byte[] json = t.toJson();
        assertEquals(t, StoredToken.fromJson(json));
        assertFalse(new String(json, StandardCharsets.UTF_8).contains(secret.reveal()));
        assertTrue(StoredToken.fromJson(json).matches(secret));
        assertFalse(StoredToken.fromJson(json).matches(TokenSecret.generate()));
    }

    @Test
    void aTokensRateIsStoredAndGivenToItsPrincipal() {
        StoredToken t = StoredToken.issue(new NewToken("ci", Role.INVOKER, List.of("shop"), Optional.empty(),
                Optional.of(dev.nest.common.Rate.parse("50/s"))), TokenSecret.generate(), NOW);
        assertTrue(new String(t.toJson(), StandardCharsets.UTF_8).contains("\"rate\":\"50/s\""));
        StoredToken back = StoredToken.fromJson(t.toJson());
        assertEquals(t, back);
        assertEquals(Optional.of(dev.nest.common.Rate.parse("50/s")), back.principal().rate());
        assertEquals("50/s", back.info().toJson().get("rate").asText());
        assertEquals(t.rate(), back.withLastUsed(NOW).rate());
        StoredToken none = StoredToken.issue(new NewToken("v", Role.VIEWER, List.of("*"), Optional.empty()),
                TokenSecret.generate(), NOW);
        assertFalse(new String(none.toJson(), StandardCharsets.UTF_8).contains("rate"), "a token stored before rates");
        assertEquals(Optional.empty(), StoredToken.fromJson(none.toJson()).rate());
        assertTrue(none.info().toJson().get("rate").isNull());
    }

    @Test
    void absentTimesStayAbsent() {
        StoredToken t = StoredToken.issue(new NewToken("ci", Role.VIEWER, List.of("*"), Optional.empty()),
                TokenSecret.generate(), NOW);
        StoredToken back = StoredToken.fromJson(t.toJson());
        assertEquals(Optional.empty(), back.expiresAt());
        assertEquals(Optional.empty(), back.lastUsedAt());
        assertFalse(back.expired(NOW.plusSeconds(1_000_000_000L)));
    }

    @Test
    void anUnreadableNodeIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> StoredToken.fromJson("{\"name\":\"x\"}".getBytes()));
        assertThrows(IllegalArgumentException.class, () -> StoredToken.fromJson("not json".getBytes()));
        assertThrows(IllegalArgumentException.class, () -> StoredToken.fromJson(new byte[0]));
    }
}
