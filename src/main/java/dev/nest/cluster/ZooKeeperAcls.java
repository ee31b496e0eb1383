package dev.nest.cluster;

import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.logging.Logger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;

/**
 * The ZooKeeper access rule of every Nest znode: all rights to the digest user derived from the
 * {@link ClusterCredential}, nothing to anyone else (not even reading). {@link #provider} makes a Curator client put it
 * on every znode it creates, parents included; {@link #secure} checks at start that this node's credential is the
 * cluster's and puts the rule on znodes an older version left open to the world.
 *
 * <p>Limits: znodes outside {@code /nest} are not touched; an old-version node still running while {@link #secure}
 * walks the tree may create open znodes behind it (upgrade all nodes together). Stateless, thread-safe.
 */
final class ZooKeeperAcls {
    private static final Logger LOG = Logger.getLogger(ZooKeeperAcls.class.getName());

    /** The parent of every region's tree. */
    static final String NEST_ROOT = "/nest";

    private final List<ACL> acl;

    ZooKeeperAcls(ClusterCredential credential) {
        try {
            String id = DigestAuthenticationProvider.generateDigest(credential.zooKeeperAuth());
            // not List.of: ZooKeeper asks the list whether it contains null
            this.acl = java.util.Collections.singletonList(new ACL(ZooDefs.Perms.ALL, new Id("digest", id)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("ZooKeeper's digest algorithm is missing from this JDK", e);
        }
    }

    /** The rule: all rights to Nest's digest user, and nothing else. */
    List<ACL> acl() {
        return acl;
    }

    /** A Curator ACL provider that puts {@link #acl} on every znode. */
    ACLProvider provider() {
        return new ACLProvider() {
            @Override
            public List<ACL> getDefaultAcl() {
                return acl;
            }

            @Override
            public List<ACL> getAclForPath(String path) {
                return acl;
            }
        };
    }

    /**
     * Checks that {@code client} may read {@code /nest} and {@code regionRoot}, then puts {@link #acl} on every
     * znode under them that lacks it (the tree of a version before znodes had ACLs). The walk sets each parent last,
     * so a walk cut short is resumed by the next start.
     *
     * @throws ClusterException saying the cluster secret differs, when ZooKeeper refuses this node's credential
     */
    void secure(CuratorFramework client, String regionRoot) throws Exception {
        for (String path : List.of(NEST_ROOT, regionRoot)) {
            try {
                if (client.checkExists().forPath(path) != null) {
                    client.getData().forPath(path);
                }
            } catch (KeeperException.NoAuthException e) {
                throw secretDiffers(path);
            }
        }
        int fixed = 0;
        if (open(client, NEST_ROOT)) {
            fixed += lock(client, regionRoot);
            fixed += lockOne(client, NEST_ROOT);
        } else if (open(client, regionRoot)) {
            fixed += lock(client, regionRoot);
        }
        if (fixed > 0) {
            LOG.info("restricted " + fixed + " znodes under " + NEST_ROOT + " that were open to anyone to this "
                    + "cluster's nodes");
        }
    }

    /** Whether {@code path} exists without exactly {@link #acl}. */
    private boolean open(CuratorFramework client, String path) throws Exception {
        try {
            return client.checkExists().forPath(path) != null && !acl.equals(client.getACL().forPath(path));
        } catch (KeeperException.NoNodeException e) {
            return false;
        }
    }

    /** Puts {@link #acl} on {@code path}'s subtree, children first; returns how many znodes changed. */
    private int lock(CuratorFramework client, String path) throws Exception {
        int n = 0;
        List<String> children;
        try {
            children = client.getChildren().forPath(path);
        } catch (KeeperException.NoNodeException e) {
            return 0;
        }
        for (String child : children) {
            n += lock(client, path + "/" + child);
        }
        return n + lockOne(client, path);
    }

    private int lockOne(CuratorFramework client, String path) throws Exception {
        try {
            if (acl.equals(client.getACL().forPath(path))) {
                return 0;
            }
            client.setACL().withACL(acl).forPath(path);
            return 1;
        } catch (KeeperException.NoNodeException e) {
            return 0; // an ephemeral znode gone meanwhile
        }
    }

    /** The start failure of a node whose secret is not the one the cluster's znodes were written with. */
    static ClusterException secretDiffers(String path) {
        return new ClusterException("ZooKeeper refused this node access to " + path + ": this node's cluster secret "
                + "differs from the one the cluster's nodes use. Set cluster.secret (or cluster.secret-file) to the "
                + "same value on every node; a single server keeps its generated secret in <data-dir>/"
                + ClusterCredential.SECRET_FILE, null);
    }
}
