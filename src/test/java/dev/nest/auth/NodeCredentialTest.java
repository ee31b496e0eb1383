package dev.nest.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NodeCredentialTest {
    private final InMemoryTokenStore store = new InMemoryTokenStore(new FakeClock(Instant.parse("2026-12-01T00:00:00Z")));
    private final Authorizer authorizer = new Authorizer(store);

    @Test
    void aNodesTokenLetsItCallItsPeersUntilClosed() {
        NodeCredential c = NodeCredential.issue(store, "a1");
        assertEquals("node-a1", c.name());
        assertEquals(new Principal("node-a1", Role.ADMIN, List.of("*")),
                authorizer.authorize(Optional.of(c.authorization()), Action.ADMIN, Optional.empty()));
        c.close();
        assertEquals(List.of(), store.list());
        c.close(); // twice is harmless
    }

    @Test
    void aRestartReplacesTheLostToken() {
        NodeCredential before = NodeCredential.issue(store, "a1");
        NodeCredential after = NodeCredential.issue(store, "a1");
        assertTrue(store.authenticate(TokenSecret.parse(after.authorization().substring(7))).isPresent());
        assertEquals(Optional.empty(), store.authenticate(TokenSecret.parse(before.authorization().substring(7))));
        assertEquals(List.of("node-a1"), store.list().stream().map(TokenInfo::name).toList());
    }

    @ParameterizedTest
    @CsvSource({"a1, node-a1", "Host_1.Example.COM, node-host_1.example.com", "x/y z, node-x-y-z", "n-, node-n"})
    void nodeIdsBecomeTokenNames(String id, String name) {
        assertEquals(name, NodeCredential.tokenName(id));
        assertTrue(NewToken.validName(name));
    }
}
