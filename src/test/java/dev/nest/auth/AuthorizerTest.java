package dev.nest.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.common.ErrorResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class AuthorizerTest {
    private final FakeClock clock = new FakeClock(Instant.parse("2026-12-01T00:00:00Z"));
    private final InMemoryTokenStore store = new InMemoryTokenStore(clock);
    private final Authorizer authorizer = new Authorizer(store);

    /** What each role may do, everywhere: the matrix of {@link Role}'s Javadoc. */
    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource({
            "viewer,    READ,   true",
            "viewer,    INVOKE, false",
            "viewer,    LOGS,   false",
            "viewer,    DEPLOY, false",
            "viewer,    ADMIN,  false",
            "invoker,   READ,   false",
            "invoker,   INVOKE, true",
            "invoker,   LOGS,   false",
            "invoker,   DEPLOY, false",
            "invoker,   ADMIN,  false",
            "developer, READ,   true",
            "developer, INVOKE, true",
            "developer, LOGS,   true",
            "developer, DEPLOY, true",
            "developer, ADMIN,  false",
            "admin,     READ,   true",
            "admin,     INVOKE, true",
            "admin,     LOGS,   true",
            "admin,     DEPLOY, true",
            "admin,     ADMIN,  true",
    })
    void rolesPermitTheirActions(String role, Action action, boolean allowed) {
        Principal p = new Principal("t", Role.parse("role", role), List.of("*"));
        assertEquals(allowed, p.allows(action, "shop"));
        assertEquals(allowed, p.allows(action, Optional.empty()));
        if (allowed) {
            Authorizer.check(p, action, Optional.of("shop"));
        } else {
            ForbiddenException e = assertThrows(ForbiddenException.class,
                    () -> Authorizer.check(p, action, Optional.of("shop")));
            assertTrue(e.detail().contains("has role " + role) && e.detail().contains("needs role"), e.detail());
        }
    }

    static Stream<Arguments> scopes() {
        return Stream.of(
                // namespaces of the token, namespace of the route (empty: none), allowed
                Arguments.of(List.of("*"), Optional.of("anything"), true),
                Arguments.of(List.of("shop"), Optional.of("shop"), true),
                Arguments.of(List.of("shop"), Optional.of("billing"), false),
                Arguments.of(List.of("shop", "billing"), Optional.of("billing"), true),
                Arguments.of(List.of("team-*"), Optional.of("team-a"), true),
                Arguments.of(List.of("team-*"), Optional.of("default"), false),
                Arguments.of(List.of("team-*", "default"), Optional.of("default"), true),
                Arguments.of(List.of("shop"), Optional.empty(), true)); // a route of no namespace: the role counts
    }

    @ParameterizedTest(name = "{0} on {1} -> {2}")
    @MethodSource("scopes")
    void namespacesLimitWhereADeveloperActs(List<String> namespaces, Optional<String> route, boolean allowed) {
        Principal p = new Principal("ci", Role.DEVELOPER, namespaces);
        for (Action a : new Action[] {Action.READ, Action.DEPLOY, Action.LOGS, Action.INVOKE}) {
            assertEquals(allowed, p.allows(a, route), a.name());
            if (!allowed) {
                ForbiddenException e = assertThrows(ForbiddenException.class, () -> Authorizer.check(p, a, route));
                assertTrue(e.detail().contains("not '" + route.orElseThrow() + "'"), e.detail());
            }
        }
    }

    @Test
    void aValidTokenWithTheRightRoleAndNamespaceIsThePrincipal() {
        IssuedToken t = store.create("ci", Role.DEVELOPER, List.of("shop"), Optional.empty());
        Principal p = authorizer.authorize(Optional.of("Bearer " + t.secret().reveal()), Action.DEPLOY, Optional.of("shop"));
        assertEquals(new Principal("ci", Role.DEVELOPER, List.of("shop")), p);
        assertEquals(p, authorizer.authorize(Optional.of("bearer  " + t.secret().reveal() + " "), Action.READ,
                Optional.empty()));
        assertEquals(p, authorizer.authorize(Optional.of("Bearer\t" + t.secret().reveal()), Action.READ,
                Optional.empty()));
    }

    @Test
    void theRoleNeededIsNamed() {
        IssuedToken t = store.create("look", Role.VIEWER, List.of("*"), Optional.empty());
        ForbiddenException e = assertThrows(ForbiddenException.class, () -> authorizer.authorize(
                Optional.of("Bearer " + t.secret().reveal()), Action.DEPLOY, Optional.of("shop")));
        assertEquals(403, e.status());
        assertEquals("token 'look' has role viewer, which cannot " + Action.DEPLOY.description()
                + "; that needs role developer or admin", e.detail());
    }

    @Test
    void theNamespaceNeededIsNamed() {
        IssuedToken t = store.create("ci", Role.DEVELOPER, List.of("team-*"), Optional.empty());
        ForbiddenException e = assertThrows(ForbiddenException.class, () -> authorizer.authorize(
                Optional.of("Bearer " + t.secret().reveal()), Action.READ, Optional.of("billing")));
        assertTrue(e.detail().startsWith("token 'ci' covers namespaces [team-*], not 'billing'"), e.detail());
    }

    static Stream<Arguments> unauthenticated() {
        return Stream.of(
                Arguments.of(Optional.empty(), "needs a token"),
                Arguments.of(Optional.of(""), "needs a token"),
                Arguments.of(Optional.of("Basic dXNlcjpwYXNz"), "Bearer scheme"),
                Arguments.of(Optional.of("Bearer"), "is empty"),
                Arguments.of(Optional.of("Bearerx " + TokenSecret.generate().reveal()), "Bearer scheme"),
                Arguments.of(Optional.of("Bear " + TokenSecret.generate().reveal()), "Bearer scheme"),
                Arguments.of(Optional.of("Bearer" + TokenSecret.generate().reveal()), "Bearer scheme"),
                Arguments.of(Optional.of("Bearer ghp_abc"), "does not start with nest_"),
                Arguments.of(Optional.of("Bearer " + TokenSecret.generate().reveal()), "unknown, revoked or expired"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unauthenticated")
    void aMissingMalformedOrUnknownTokenIs401WithHowToGetOne(Optional<String> header, String why) {
        NotAuthenticatedException e = assertThrows(NotAuthenticatedException.class,
                () -> authorizer.authorize(header, Action.READ, Optional.empty()));
        assertEquals(401, e.status());
        assertTrue(e.detail().contains(why), e.detail());
        assertTrue(e.detail().contains("POST /api/v1/tokens") && e.detail().contains("admin.token"), e.detail());
        ErrorResponse r = ErrorResponse.of(e);
        assertEquals(401, r.status());
        assertEquals("unauthorized", r.error());
    }

    @Test
    void aChangedCharacterIsMalformedNotUnknown() {
        IssuedToken t = store.create("ci", Role.ADMIN, List.of("*"), Optional.empty());
        String s = t.secret().reveal();
        String altered = s.substring(0, 20) + (s.charAt(20) == 'x' ? 'y' : 'x') + s.substring(21);
        NotAuthenticatedException e = assertThrows(NotAuthenticatedException.class,
                () -> authorizer.authenticate(Optional.of("Bearer " + altered)));
        assertTrue(e.detail().contains("checksum"), e.detail());
        assertFalse(e.detail().contains(altered.substring(5)), "the detail never echoes the token");
    }

    @Test
    void revokedAndExpiredTokensAre401() {
        IssuedToken revoked = store.create("gone", Role.ADMIN, List.of("*"), Optional.empty());
        IssuedToken expiring = store.create("brief", Role.ADMIN, List.of("*"),
                Optional.of(clock.instant().plus(Duration.ofHours(1))));
        assertEquals("brief", authorizer.authenticate(Optional.of("Bearer " + expiring.secret().reveal())).name());
        store.revoke("gone");
        clock.advance(Duration.ofHours(1));
        for (IssuedToken t : List.of(revoked, expiring)) {
            NotAuthenticatedException e = assertThrows(NotAuthenticatedException.class,
                    () -> authorizer.authenticate(Optional.of("Bearer " + t.secret().reveal())));
            assertTrue(e.detail().startsWith("the token " + t.secret().displayPrefix() + "... is unknown, revoked or "
                    + "expired"), e.detail());
        }
    }
}
