package dev.nest.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The lookup itself, over a small table (the admin API's table is tested in {@code dev.nest.api}). */
class RouteAccessTest {
    private record R(String method, String path, Requirement requirement) implements RouteAccess.Rule {
    }

    private final RouteAccess access = new RouteAccess(List.of(
            new R("GET", "/health", Requirement.anyone()),
            new R("GET", "/a/{x}", Requirement.of(Action.READ, Requirement.Namespace.QUERY)),
            new R("ANY", "/a/*", Requirement.anyToken())));

    private RouteAccess.Access of(String method, String path) {
        return access.of(method, path, name -> Optional.empty());
    }

    @Test
    void theFirstMatchingRuleDecidesAndNoMatchNeedsAdmin() {
        assertEquals(true, of("GET", "/health").open());
        assertEquals(Optional.of("default"), of("GET", "/a/b").namespace());
        assertEquals(Requirement.Kind.TOKEN, of("POST", "/a/b").kind());
        assertEquals(Requirement.Kind.TOKEN, of("GET", "/a").kind(), "a final * matches no segment too");
        assertEquals(Requirement.Kind.TOKEN, of("GET", "/a/b/c").kind());
        assertEquals(RouteAccess.UNLISTED, of("GET", "/b"));
        assertEquals(RouteAccess.UNLISTED, of("GET", "/health/x"));
    }

    @Test
    void aRequirementIsConsistent() {
        assertThrows(IllegalArgumentException.class, () -> new Requirement(Requirement.Kind.ACTION, Optional.empty(),
                Requirement.Namespace.NONE, false));
        assertThrows(IllegalArgumentException.class, () -> new Requirement(Requirement.Kind.TOKEN, Optional.empty(),
                Requirement.Namespace.QUERY, false));
        assertThrows(IllegalArgumentException.class, () -> new Requirement(Requirement.Kind.OPEN, Optional.empty(),
                Requirement.Namespace.NONE, true));
    }
}
