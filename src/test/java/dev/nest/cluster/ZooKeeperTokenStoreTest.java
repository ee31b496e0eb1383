package dev.nest.cluster;

import static dev.nest.auth.TokenStoreContract.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.auth.IssuedToken;
import dev.nest.auth.LastUsedThrottle;
import dev.nest.auth.Principal;
import dev.nest.auth.Role;
import dev.nest.auth.TokenInfo;
import dev.nest.auth.TokenStore;
import dev.nest.auth.TokenStoreContract;
import dev.nest.config.NestConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The ZooKeeper token store against a real in-process ZooKeeper: the {@link TokenStoreContract} on one node, and what
 * two nodes (two clients, two stores on the same tree) see of each other's writes. Waits are bounded polls.
 */
class ZooKeeperTokenStoreTest extends TokenStoreContract {
    private static final AtomicInteger REGIONS = new AtomicInteger();
    private static TestingServer zk;

    private String path;
    private CuratorFramework clientA;
    private CuratorFramework clientB;
    private ZooKeeperTokenStore a;
    private ZooKeeperTokenStore b;

    @BeforeAll
    static void startZooKeeper() throws Exception {
        zk = new TestingServer(true);
    }

    @AfterAll
    static void stopZooKeeper() throws Exception {
        zk.close();
    }

    @BeforeEach
    void startNodes() {
        path = "/nest/tokens-" + REGIONS.incrementAndGet() + "/" + ZooKeeperTokenStore.TOKENS;
        clientA = client();
        clientB = client();
        a = store(clientA);
        b = store(clientB);
    }

    @AfterEach
    void stopNodes() {
        a.close();
        b.close();
        clientA.close();
        clientB.close();
    }

    private static CuratorFramework client() {
        return TestCredentials.client(zk.getConnectString());
    }

    private ZooKeeperTokenStore store(CuratorFramework client) {
        ZooKeeperTokenStore s = new ZooKeeperTokenStore(client, path, clock, Duration.ofSeconds(10), new LastUsedThrottle());
        s.start();
        return s;
    }

    @Override
    protected TokenStore store() {
        return a;
    }

    @Test
    void aTokenCreatedOnOneNodeIsAcceptedByAnother() {
        IssuedToken t = a.create("ci", Role.DEVELOPER, List.of("shop"), Optional.empty());
        await("node b accepts the token", () -> b.authenticate(t.secret()).isPresent());
        assertEquals(new Principal("ci", Role.DEVELOPER, List.of("shop")), b.authenticate(t.secret()).orElseThrow());
        assertEquals(a.list(), b.list());
    }

    @Test
    void aTokenRevokedOnOneNodeIsRefusedByAnother() {
        IssuedToken t = a.create("ci", Role.ADMIN, List.of("*"), Optional.empty());
        IssuedToken kept = a.create("kept", Role.ADMIN, List.of("*"), Optional.empty());
        await("node b accepts both tokens", () -> b.authenticate(t.secret()).isPresent()
                && b.authenticate(kept.secret()).isPresent());
        a.revoke("ci");
        assertEquals(Optional.empty(), a.authenticate(t.secret()), "the revoking node refuses it when revoke returns");
        await("node b refuses the revoked token", () -> b.authenticate(t.secret()).isEmpty());
        assertTrue(b.authenticate(kept.secret()).isPresent());
        assertEquals(List.of("kept"), b.list().stream().map(TokenInfo::name).toList());
    }

    @Test
    void aNodeThatStartsLaterHasEveryTokenWhenStartReturns() {
        IssuedToken t = a.create("ci", Role.VIEWER, List.of("*"), Optional.empty());
        try (CuratorFramework clientC = client(); ZooKeeperTokenStore c = store(clientC)) {
            assertTrue(c.authenticate(t.secret()).isPresent());
        }
    }

    @Test
    void theLastUseRecordedByOneNodeIsListedByAnother() {
        IssuedToken t = a.create("ci", Role.VIEWER, List.of("*"), Optional.empty());
        await("node b accepts the token", () -> b.authenticate(t.secret()).isPresent());
        Instant used = clock.instant();
        await("a's use of the token listed on a", () -> a.list().getFirst().lastUsedAt().isPresent());
        clock.advance(Duration.ofMinutes(5));
        a.authenticate(t.secret());
        await("the later use listed on b", () -> b.list().getFirst().lastUsedAt()
                .equals(Optional.of(used.plus(Duration.ofMinutes(5)))));
    }

    @Test
    void anUnreadableTokenNodeIsNotAccepted() throws Exception {
        IssuedToken t = a.create("ci", Role.ADMIN, List.of("*"), Optional.empty());
        clientA.setData().forPath(path + "/ci", "{\"name\": \"ci\"}".getBytes(StandardCharsets.UTF_8));
        await("node b drops the damaged token", () -> b.authenticate(t.secret()).isEmpty());
        clientA.create().forPath(path + "/junk", "not json".getBytes(StandardCharsets.UTF_8));
        clientA.create().forPath(path + "/other", "{}".getBytes(StandardCharsets.UTF_8));
        IssuedToken next = a.create("next", Role.VIEWER, List.of("*"), Optional.empty());
        await("node b accepts a later token", () -> b.authenticate(next.secret()).isPresent());
        assertEquals(List.of("next"), b.list().stream().map(TokenInfo::name).toList());
    }

    @Test
    void aClusterKeepsTheTokensUnderItsRegion() throws Exception {
        NestConfig.Cluster config = new NestConfig.Cluster(zk.getConnectString(), 0, Duration.ofSeconds(5),
                Duration.ofSeconds(5), Duration.ofSeconds(5), 2);
        NodeInfo self = new NodeInfo("n1", "127.0.0.1", 8080, "zone-a", "tokens-region", "process", Instant.EPOCH,
                Map.of());
        try (Cluster cluster = Cluster.start(zk.getConnectString(), config, TestCredentials.CREDENTIAL, self, clock);
             ZooKeeperTokenStore store = ZooKeeperTokenStore.start(cluster, clock, Duration.ofSeconds(5))) {
            IssuedToken t = store.create("ci", Role.VIEWER, List.of("*"), Optional.empty());
            assertTrue(store.authenticate(t.secret()).isPresent());
            assertTrue(clientA.checkExists().forPath("/nest/tokens-region/tokens/ci") != null);
        }
    }
}
