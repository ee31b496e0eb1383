package dev.nest.cluster;

import java.nio.charset.StandardCharsets;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;

/** The cluster credential the cluster tests' nodes share, and raw ZooKeeper clients that hold it. */
final class TestCredentials {
    static final String SECRET = "the-test-cluster-secret";
    static final ClusterCredential CREDENTIAL = ClusterCredential.of(SECRET);

    private TestCredentials() {
    }

    /** A started client authenticated like a node with {@code credential}, creating znodes with the nodes' ACL. */
    static CuratorFramework client(String connectString, ClusterCredential credential) {
        CuratorFramework c = CuratorFrameworkFactory.builder()
                .connectString(connectString)
                .retryPolicy(new RetryOneTime(100))
                .authorization("digest", credential.zooKeeperAuth().getBytes(StandardCharsets.UTF_8))
                .aclProvider(new ZooKeeperAcls(credential).provider())
                .build();
        c.start();
        return c;
    }

    /** {@link #client(String, ClusterCredential)} with {@link #CREDENTIAL}. */
    static CuratorFramework client(String connectString) {
        return client(connectString, CREDENTIAL);
    }
}
