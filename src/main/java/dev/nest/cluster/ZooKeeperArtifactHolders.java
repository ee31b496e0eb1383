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
 * {@code cluster.operation-timeout} and then fails with a {@link ClusterException} that says so.
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
        cluster.awaitConnected("record the holders of package " + digest);
        try {
            cluster.client().create().orSetData().creatingParentContainersIfNeeded()
                    .forPath(cluster.paths().holder(digest, node), new byte[0]);
        } catch (Exception e) {
            throw new ClusterException("cannot record node " + node + " as a holder of package " + digest + ": "
                    + e.getMessage() + " (is ZooKeeper reachable? see GET /api/v1/cluster)", e);
        }
    }

    @Override
    public List<Node> holders(String digest) {
        cluster.awaitConnected("list the holders of package " + digest);
        Set<String> ids;
        try {
            ids = new HashSet<>(cluster.client().getChildren().forPath(cluster.paths().artifact(digest)));
        } catch (KeeperException.NoNodeException e) {
            return List.of();
        } catch (Exception e) {
            throw new ClusterException("cannot list the holders of package " + digest + ": " + e.getMessage(), e);
        }
        return peers().stream().filter(n -> ids.contains(n.node())).toList();
    }

    @Override
    public List<Node> peers() {
        cluster.awaitConnected("list the live nodes");
        List<Node> out = new ArrayList<>();
        for (NodeInfo n : cluster.nodes()) {
            if (!n.id().equals(cluster.self().id())) {
                out.add(new Node(n.id(), n.zone(), "http://" + n.address() + ":" + n.port()));
            }
        }
        return out;
    }
}
