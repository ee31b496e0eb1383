package dev.nest.cluster;

import dev.nest.artifact.PackageFormats;
import dev.nest.common.Json;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.zookeeper.KeeperException;

/**
 * The cluster's side of {@link PackageFormats}: which manifest format this node writes for packages built from
 * uploads, from the live registrations (each node advertises the formats it reads in its {@link
 * NodeInfo#PACKAGE_FORMATS} label) and the ratchet {@code /nest/<region>/package-format} (persistent; {@code 2} once
 * any node chose format 2, so the choice does not flap when an older node joins later).
 *
 * <p>Failure: when ZooKeeper cannot be read within {@code cluster.operation-timeout} the ratchet counts as not set
 * (the decision then rests on the registrations this node mirrors; format 1 is always safe) and the failure is logged
 * at FINE; a failed ratchet write is logged and tried again by the next format-2 decision. A registration that does
 * not parse, and a ratchet whose bytes are not {@code 2}, count as "format 1 only" and "not set": hostile data never
 * widens the choice. Limits: a node that registers between this node's mirror update and its upload sees the format-2
 * package refused (its 400 naming the format) rather than never receiving one; the ratchet makes that state last
 * until the node is upgraded. Threads: {@link #current} may be called from any thread; it blocks on ZooKeeper for
 * at most two bounded operations.
 */
public final class ClusterPackageFormat implements PackageFormats.Source {
    private static final Logger LOG = Logger.getLogger(ClusterPackageFormat.class.getName());
    private static final byte[] RATCHET = Integer.toString(PackageFormats.V2).getBytes(StandardCharsets.US_ASCII);

    private final Cluster cluster;
    private final PackageFormats.Setting setting;

    ClusterPackageFormat(Cluster cluster, PackageFormats.Setting setting) {
        this.cluster = cluster;
        this.setting = setting;
    }

    @Override
    public PackageFormats.Decision current() {
        PackageFormats.Decision d = PackageFormats.decide(setting, nodes(cluster.membership().registrations()),
                ratcheted());
        if (d.ratchet()) {
            try {
                cluster.bounded("record that packages of format 2 exist", () -> cluster.client().create().orSetData()
                        .creatingParentContainersIfNeeded().forPath(cluster.paths().packageFormat(), RATCHET));
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "cannot record package format 2 in ZooKeeper (tried again at the next upload): "
                        + e.getMessage(), e);
            }
        }
        return d;
    }

    /** Whether the ratchet is set; false when it is absent, unreadable or holds anything but {@code 2}. */
    boolean ratcheted() {
        try {
            byte[] data = cluster.bounded("read the cluster's package format", () -> {
                try {
                    return cluster.client().getData().forPath(cluster.paths().packageFormat());
                } catch (KeeperException.NoNodeException e) {
                    return new byte[0];
                }
            });
            return ratchet(data);
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "cannot read the cluster's package format; deciding from the registrations", e);
            return false;
        }
    }

    /** The ratchet's bytes read as set: exactly {@code 2} (blanks around it allowed); anything else is not. */
    static boolean ratchet(byte[] data) {
        if (data == null || data.length == 0 || data.length > 16) {
            if (data != null && data.length > 16) {
                LOG.warning("the cluster's package format record holds " + data.length + " bytes; ignored");
            }
            return false;
        }
        String v = new String(data, StandardCharsets.US_ASCII).strip();
        if (!v.equals("2")) {
            LOG.warning("the cluster's package format record holds '" + v.replaceAll("[^ -~]", "?")
                    + "', not 2; ignored");
            return false;
        }
        return true;
    }

    /**
     * The live nodes and the formats each reads, from their raw registrations by id: a registration without the
     * label (an older release) reads format 1; one that does not parse counts as a node reading format 1 only.
     */
    static List<PackageFormats.Node> nodes(Map<String, byte[]> registrations) {
        List<PackageFormats.Node> out = new ArrayList<>();
        for (var e : registrations.entrySet()) {
            NodeInfo n;
            try {
                n = Json.read(e.getValue(), NodeInfo.class);
            } catch (RuntimeException bad) {
                out.add(new PackageFormats.Node(e.getKey(), PackageFormats.advertised(null), "unreadable registration"));
                continue;
            }
            String label = n == null || n.labels() == null ? null : n.labels().get(NodeInfo.PACKAGE_FORMATS);
            out.add(new PackageFormats.Node(e.getKey(), PackageFormats.advertised(label),
                    label == null ? "no package-formats label: an older release" : ""));
        }
        return out;
    }
}
