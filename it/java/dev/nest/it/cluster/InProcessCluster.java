package dev.nest.it.cluster;

import dev.nest.NestServer;
import dev.nest.config.NestConfig;
import dev.nest.it.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.curator.test.TestingServer;

/**
 * Nodes of one region started in this JVM on one ZooKeeper test server: the set-up the in-process cluster tests share.
 * Each node runs the shipped defaults except for what a test on a shared machine needs: its own range of 500 pod ports,
 * no warm pool, and the cluster settings named here. {@link #close} stops the nodes, then the server; a start that fails
 * half-way closes what it had started.
 */
final class InProcessCluster implements AutoCloseable {
    private final TestingServer zookeeper;
    private final NestConfig.Cluster settings;
    private final List<NestServer> nodes;

    private InProcessCluster(TestingServer zookeeper, NestConfig.Cluster settings, List<NestServer> nodes) {
        this.zookeeper = zookeeper;
        this.settings = settings;
        this.nodes = nodes;
    }

    /**
     * Two nodes named {@code idPrefix1} and {@code idPrefix2} in {@code region}, zone {@code zone-a}, the first node's
     * pod ports from {@code firstPort}, the second's 500 above; two artifact replicas, no cluster secret.
     */
    static Layout of(String idPrefix, String region, int firstPort) {
        return new Layout(idPrefix, region, firstPort);
    }

    /** What {@link #of} starts, changed by its methods before {@link #start}. */
    static final class Layout {
        private final String idPrefix;
        private final String region;
        private final int firstPort;
        private int artifactReplicas = 2;
        private boolean zonesApart;
        private String secret = "";
        private NestConfig.Merged merged = NestConfig.Merged.DEFAULT;

        private Layout(String idPrefix, String region, int firstPort) {
            this.idPrefix = idPrefix;
            this.region = region;
            this.firstPort = firstPort;
        }

        Layout artifactReplicas(int n) {
            artifactReplicas = n;
            return this;
        }

        /** Each node in a zone of its own ({@code zone-a}, {@code zone-b}). */
        Layout zonesApart() {
            zonesApart = true;
            return this;
        }

        Layout secret(String value) {
            secret = value;
            return this;
        }

        Layout merged(NestConfig.Merged value) {
            merged = value;
            return this;
        }

        /** Starts the server and the nodes, each with its data and functions folders under {@code scratch}. */
        InProcessCluster start(Path scratch) throws Exception {
            TestingServer zookeeper = new TestingServer(true);
            List<NestServer> nodes = new ArrayList<>();
            NestConfig d = NestConfig.defaults();
            NestConfig.Cluster c = d.cluster();
            NestConfig.Cluster settings = new NestConfig.Cluster(zookeeper.getConnectString(), 0,
                    Duration.ofSeconds(10), c.connectionTimeout(), c.operationTimeout(), artifactReplicas);
            if (!secret.isEmpty()) {
                settings = settings.withSecret(secret);
            }
            InProcessCluster cluster = new InProcessCluster(zookeeper, settings, nodes);
            try {
                for (int i = 0; i < 2; i++) {
                    String id = idPrefix + (i + 1);
                    NestConfig.Sidecar s = d.sidecar();
                    int from = firstPort + i * 500;
                    String zone = zonesApart ? "zone-" + (char) ('a' + i) : "zone-a";
                    NestConfig config = d.withNode(new NestConfig.Node(id, "127.0.0.1", zone, region))
                            .withCluster(settings)
                            .withSidecar(new NestConfig.Sidecar(s.driver(), from, from + 499, s.startTimeout(),
                                    s.maxPods(), s.stopGrace(), s.drivers(),
                                    new NestConfig.Pool(Map.of("nodejs", 0, "java", 0), s.pool().idle()),
                                    s.previousVersionKeepAlive(), merged));
                    nodes.add(Fixtures.startNode(config, scratch.resolve(id + "/data"),
                            Files.createDirectories(scratch.resolve(id + "/functions"))));
                }
            } catch (Exception | Error e) {
                cluster.close();
                throw e;
            }
            return cluster;
        }
    }

    /** The started nodes, in the order of their ids. */
    List<NestServer> nodes() {
        return nodes;
    }

    /** The cluster settings every node runs with (the server's connect string, the secret if one was set). */
    NestConfig.Cluster settings() {
        return settings;
    }

    String connectString() {
        return zookeeper.getConnectString();
    }

    @Override
    public void close() throws Exception {
        try {
            for (NestServer n : nodes) {
                n.close();
            }
        } finally {
            zookeeper.close();
        }
    }
}
