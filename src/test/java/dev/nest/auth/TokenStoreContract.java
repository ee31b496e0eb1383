package dev.nest.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.common.NestException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * What every {@link TokenStore} does; a store's test extends it and supplies {@link #store()} over {@link #clock}.
 */
public abstract class TokenStoreContract {
    protected final FakeClock clock = new FakeClock(Instant.parse("2026-12-01T00:00:00Z"));

    /** The store under test, reading {@link #clock}. */
    protected abstract TokenStore store();

    /** Waits at most ten seconds for {@code done} (writes that a store makes in the background). */
    public static void await(String what, BooleanSupplier done) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("never happened: " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    @Test
    public void aCreatedTokenAuthenticatesAsItsPrincipal() {
        IssuedToken t = store().create("ci-deploy", Role.DEVELOPER, List.of("shop", "team-*"), Optional.empty());
        assertEquals(Optional.of(new Principal("ci-deploy", Role.DEVELOPER, List.of("shop", "team-*"))),
                store().authenticate(t.secret()));
        assertEquals(Optional.empty(), store().authenticate(TokenSecret.generate()));
    }

    @Test
    public void listShowsTokensByNameWithoutSecrets() {
        Instant created = clock.instant();
        IssuedToken b = store().create("b", Role.VIEWER, List.of("*"), Optional.empty());
        store().create("a", Role.INVOKER, List.of("shop"), Optional.of(created.plus(Duration.ofDays(30))));
        List<TokenInfo> list = store().list();
        assertEquals(List.of("a", "b"), list.stream().map(TokenInfo::name).toList());
        TokenInfo info = list.get(1);
        assertEquals(b.token(), info);
        assertEquals(new TokenInfo("b", Role.VIEWER, List.of("*"), b.secret().displayPrefix(), created, Optional.empty(),
                Optional.empty()), info);
        assertEquals(Optional.of(created.plus(Duration.ofDays(30))), list.get(0).expiresAt());
        assertFalse(info.toJson().toString().contains(b.secret().reveal().substring(13)), "no secret in a list");
    }

    @Test
    public void namesAreUnique() {
        store().create("ci", Role.VIEWER, List.of("*"), Optional.empty());
        NestException e = assertThrows(NestException.class,
                () -> store().create("ci", Role.ADMIN, List.of("*"), Optional.empty()));
        assertEquals(409, e.status());
        assertTrue(e.detail().contains("'ci'"), e.detail());
        assertEquals(Role.VIEWER, store().list().getFirst().role());
    }

    @Test
    public void aRevokedTokenIsRefusedAndGoneFromTheList() {
        IssuedToken t = store().create("ci", Role.ADMIN, List.of("*"), Optional.empty());
        IssuedToken other = store().create("other", Role.ADMIN, List.of("*"), Optional.empty());
        store().revoke("ci");
        assertEquals(Optional.empty(), store().authenticate(t.secret()));
        assertTrue(store().authenticate(other.secret()).isPresent());
        assertEquals(List.of("other"), store().list().stream().map(TokenInfo::name).toList());
        NestException e = assertThrows(NestException.class, () -> store().revoke("ci"));
        assertEquals(404, e.status());
    }

    @Test
    public void aNameCanBeReusedAfterRevocationWithANewSecret() {
        IssuedToken first = store().create("ci", Role.ADMIN, List.of("*"), Optional.empty());
        store().revoke("ci");
        IssuedToken second = store().create("ci", Role.VIEWER, List.of("*"), Optional.empty());
        assertEquals(Optional.empty(), store().authenticate(first.secret()));
        assertEquals(Role.VIEWER, store().authenticate(second.secret()).orElseThrow().role());
    }

    @Test
    public void anExpiredTokenIsRefused() {
        IssuedToken t = store().create("brief", Role.VIEWER, List.of("*"),
                Optional.of(clock.instant().plus(Duration.ofHours(12))));
        clock.advance(Duration.ofHours(12).minusMillis(1));
        assertTrue(store().authenticate(t.secret()).isPresent());
        clock.advance(Duration.ofMillis(1));
        assertEquals(Optional.empty(), store().authenticate(t.secret()));
        assertEquals(List.of("brief"), store().list().stream().map(TokenInfo::name).toList(), "listed until revoked");
    }

    @Test
    public void anExpiryThatIsNotInTheFutureIsRefused() {
        NestException e = assertThrows(NestException.class, () -> store().create("late", Role.VIEWER, List.of("*"),
                Optional.of(clock.instant())));
        assertEquals(400, e.status());
        assertTrue(e.detail().contains("key 'expires'"), e.detail());
        assertEquals(List.of(), store().list());
    }

    @Test
    public void invalidRequestsAreRefused() {
        for (String name : new String[] {"", "Upper", "a/b", "..", "-x", "x".repeat(65)}) {
            NestException e = assertThrows(NestException.class,
                    () -> store().create(name, Role.VIEWER, List.of("*"), Optional.empty()), name);
            assertEquals(400, e.status());
            assertTrue(e.detail().contains("key 'name'"), e.detail());
        }
        NestException admin = assertThrows(NestException.class,
                () -> store().create("boss", Role.ADMIN, List.of("shop"), Optional.empty()));
        assertTrue(admin.detail().contains("role admin"), admin.detail());
        assertEquals(List.of(), store().list());
    }

    @Test
    public void aPresetSecretIsAccepted() {
        TokenSecret secret = TokenSecret.generate();
        TokenInfo info = store().create(new NewToken("preset", Role.ADMIN, List.of("*"), Optional.empty()), secret);
        assertEquals(secret.displayPrefix(), info.prefix());
        assertEquals("preset", store().authenticate(TokenSecret.parse(secret.reveal())).orElseThrow().name());
    }

    @Test
    public void theLastUseIsRecordedAtMostOncePerInterval() {
        IssuedToken t = store().create("ci", Role.VIEWER, List.of("*"), Optional.empty());
        Instant first = clock.instant();
        store().authenticate(t.secret());
        await("the first use recorded", () -> store().list().getFirst().lastUsedAt().equals(Optional.of(first)));
        clock.advance(Duration.ofSeconds(30));
        store().authenticate(t.secret());
        clock.advance(Duration.ofSeconds(30));
        Instant third = clock.instant();
        store().authenticate(t.secret());
        await("the use a minute later recorded", () -> store().list().getFirst().lastUsedAt().equals(Optional.of(third)));
    }
}
