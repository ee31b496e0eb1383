package dev.nest.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The mirror remembers secrets that matched until its next change: a repeated call skips the hash, and a revocation,
 * a replacement or an expiry is still seen at the very next call.
 */
class TokenMirrorTest {
    private static final Instant T0 = Instant.parse("2026-01-02T03:04:05Z");

    private static StoredToken token(String name, TokenSecret secret, Optional<Instant> expires) {
        return StoredToken.issue(new NewToken(name, Role.INVOKER, List.of("shop"), expires), secret, T0);
    }

    @Test
    void aRememberedSecretIsRefusedAtOnceAfterARevocationOrAReplacement() {
        TokenMirror mirror = new TokenMirror();
        TokenSecret ci = TokenSecret.generate();
        TokenSecret other = TokenSecret.generate();
        mirror.put(token("ci", ci, Optional.empty()));
        mirror.put(token("other", other, Optional.empty()));
        for (int i = 0; i < 3; i++) {
            assertEquals("ci", mirror.authenticate(ci, T0).orElseThrow().name(), "call " + i);
        }
        assertTrue(mirror.remove("ci"));
        assertEquals(Optional.empty(), mirror.authenticate(ci, T0), "revoked: refused at the next call");
        assertEquals("other", mirror.authenticate(other, T0).orElseThrow().name());

        TokenSecret renewed = TokenSecret.generate();
        mirror.put(token("other", renewed, Optional.empty()));
        assertEquals(Optional.empty(), mirror.authenticate(other, T0), "the replaced secret is refused");
        assertEquals("other", mirror.authenticate(renewed, T0).orElseThrow().name());
    }

    @Test
    void aRememberedSecretStillExpiresAndUnknownOnesAreNotRemembered() {
        TokenMirror mirror = new TokenMirror();
        TokenSecret s = TokenSecret.generate();
        mirror.put(token("short", s, Optional.of(T0.plusSeconds(60))));
        assertTrue(mirror.authenticate(s, T0).isPresent());
        assertTrue(mirror.authenticate(s, T0.plusSeconds(59)).isPresent());
        assertEquals(Optional.empty(), mirror.authenticate(s, T0.plusSeconds(60)), "expired though remembered");
        TokenSecret unknown = TokenSecret.generate();
        for (int i = 0; i < 3; i++) {
            assertEquals(Optional.empty(), mirror.authenticate(unknown, T0));
        }
        mirror.put(token("late", unknown, Optional.empty()));
        assertTrue(mirror.authenticate(unknown, T0).isPresent(), "a secret refused before works once its token exists");
    }
}
