package dev.nest.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.config.NestConfig;
import dev.nest.function.FunctionId;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.Test;

/**
 * A node whose ZooKeeper session expires registers again under its new session: its registration and its
 * ready-instance document are owned by the new session (what the old one created is gone with it), and it
 * leads again at a newer epoch. Against a real in-process ZooKeeper; waits on watches, never sleeps.
 */
class SessionExpiryTest {
    @Test
    void anExpiredNodeRegistersAgainUnderItsNewSession() throws Exception {
        try (TestingServer zk = new TestingServer(true);
             CuratorFramework observer = TestCredentials.client(zk.getConnectString())) {
            NestConfig.Cluster config = new NestConfig.Cluster(zk.getConnectString(), 0, Duration.ofSeconds(5),
                    Duration.ofSeconds(5), Duration.ofSeconds(2), 2);
            NodeInfo self = new NodeInfo("a", "127.0.0.1", 8080, "zone-a", "expiry", "process", Instant.EPOCH, Map.of());
            try (Cluster node = Cluster.start(zk.getConnectString(), config, TestCredentials.CREDENTIAL, self, Clock.systemUTC())) {
                assertTrue(node.leadership().await(Duration.ofSeconds(10)), "the only node leads");
                node.leadership().claimEpoch();
                int epochBefore = node.leadership().epoch().orElseThrow();
                node.publishReady(() -> List.of(new ReadyCount(FunctionId.of("default", "f"), 1, 1, 0)));
                Stat registration = awaitStat(observer, "/nest/expiry/nodes/a");
                Stat ready = awaitStat(observer, "/nest/expiry/ready/a");
                long oldSession = node.client().getZookeeperClient().getZooKeeper().getSessionId();
                assertEquals(oldSession, registration.getEphemeralOwner());
                assertEquals(oldSession, ready.getEphemeralOwner());

                CountDownLatch back = new CountDownLatch(3);
                try (CuratorCache watch = CuratorCache.build(observer, "/nest/expiry")) {
                    watch.listenable().addListener(CuratorCacheListener.builder().forCreatesAndChanges((before, now) -> {
                        String p = now.getPath();
                        if ((p.equals("/nest/expiry/nodes/a") || p.equals("/nest/expiry/ready/a"))
                                && now.getStat().getEphemeralOwner() != oldSession) {
                            back.countDown();
                        }
                        if (p.equals("/nest/expiry/epoch") && now.getStat().getVersion() > epochBefore) {
                            back.countDown();
                        }
                    }).build());
                    watch.start();
                    node.client().getZookeeperClient().getZooKeeper().getTestable().injectSessionExpiration();
                    assertTrue(back.await(30, TimeUnit.SECONDS), "registration, ready document and a new epoch after the expiry");
                }
                long newSession = node.client().getZookeeperClient().getZooKeeper().getSessionId();
                assertNotEquals(oldSession, newSession);
                assertTrue(ownedByCurrentSession(observer, node, "/nest/expiry/nodes/a"), "the registration is the new session's");
                assertTrue(ownedByCurrentSession(observer, node, "/nest/expiry/ready/a"), "the ready document is the new session's");
            }
        }
    }

    /**
     * Whether {@code path} comes to be owned by the node's session of the moment within 10 s (Curator rewrites an
     * ephemeral node after each new session; watch-driven).
     */
    private static boolean ownedByCurrentSession(CuratorFramework observer, Cluster node, String path) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            CountDownLatch changed = new CountDownLatch(1);
            Stat now = observer.checkExists().usingWatcher((org.apache.zookeeper.Watcher) e -> changed.countDown()).forPath(path);
            if (now != null && now.getEphemeralOwner() == node.client().getZookeeperClient().getZooKeeper().getSessionId()) {
                return true;
            }
            changed.await(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
        }
        return false;
    }

    /** The stat of {@code path} once it exists (watch-driven). */
    private static Stat awaitStat(CuratorFramework c, String path) throws Exception {
        CountDownLatch created = new CountDownLatch(1);
        Stat now = c.checkExists().usingWatcher((org.apache.zookeeper.Watcher) e -> created.countDown()).forPath(path);
        if (now != null) {
            return now;
        }
        assertTrue(created.await(10, TimeUnit.SECONDS), path + " was created");
        return c.checkExists().forPath(path);
    }
}
