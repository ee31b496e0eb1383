package dev.nest.cluster;

import dev.nest.deploy.ArtifactHolders;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.zookeeper.KeeperException;

/**
 * Package holders in ZooKeeper: one persistent child per holder, {@code artifacts/<sha256>/<node>}. A holder
 * entry outlives its node's session on purpose (the package stays on that node's disk); readers intersect it
 * with the live {@code nodes/} registrations. Every call first waits for ZooKeeper up to
 * {@code cluster.operation-timeout} and then fails with a {@link ClusterException} that says so; the live nodes
 * come from the in-memory mirror of {@code nodes/}. The package's node {@code artifacts/<sha256>} holds the sha256 of
 * the manifest the uploading node verified (ASCII hex; empty when not recorded), which fetching nodes trust (ADR 0027).
 */
final class ZooKeeperArtifactHolders implements ArtifactHolders {
    private final Cluster cluster;

    ZooKeeperArtifactHolders(Cluster cluster) {
        this.cluster = cluster;
    }

    @Override
    public String self() {
        return cluster.self().id();
    }

    @Override
    public String zone() {
        return cluster.self().zone();
    }

    @Override
    public void record(String digest, String node) {
        cluster.bounded("record node " + node + " as a holder of package " + digest, () -> cluster.client().create()
                .orSetData().creatingParentContainersIfNeeded().forPath(cluster.paths().holder(digest, node), new byte[0]));
    }

    @Override
    public void recordManifest(String digest, String manifestSha256) {
        if (!manifestSha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("manifest sha256 '" + manifestSha256 + "' is not 64 lowercase hex digits");
        }
        cluster.bounded("record the manifest of package " + digest, () -> cluster.client().create().orSetData()
                .creatingParentContainersIfNeeded().forPath(cluster.paths().artifact(digest),
                        manifestSha256.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
    }

    @Override
    public java.util.Optional<String> trustedManifest(String digest) {
        byte[] data = cluster.bounded("read the manifest digest of package " + digest, () -> {
            try {
                return cluster.client().getData().forPath(cluster.paths().artifact(digest));
            } catch (KeeperException.NoNodeException e) {
                return new byte[0];
            }
        });
        String sha = data == null ? "" : new String(data, java.nio.charset.StandardCharsets.US_ASCII);
        return sha.matches("[0-9a-f]{64}") ? java.util.Optional.of(sha) : java.util.Optional.empty();
    }

    @Override
    public List<Node> holders(String digest) {
        Set<String> ids = cluster.bounded("list the holders of package " + digest, () -> {
            try {
                return new HashSet<>(cluster.client().getChildren().forPath(cluster.paths().artifact(digest)));
            } catch (KeeperException.NoNodeException e) {
                return Set.<String>of();
            }
        });
        return peers().stream().filter(n -> ids.contains(n.node())).toList();
    }

    @Override
    public List<Node> peers() {
        List<Node> out = new ArrayList<>();
        for (NodeInfo n : cluster.nodes()) {
            if (!n.id().equals(cluster.self().id())) {
                out.add(new Node(n.id(), n.zone(), n.url()));
            }
        }
        return out;
    }
}
