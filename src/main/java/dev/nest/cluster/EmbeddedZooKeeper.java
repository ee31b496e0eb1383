package dev.nest.cluster;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import org.apache.zookeeper.server.NIOServerCnxnFactory;
import org.apache.zookeeper.server.ServerCnxn;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZooKeeperServer;

/**
 * A single ZooKeeper server inside the Nest process, the single-server default: the same Curator code path
 * as a real ensemble, with its snapshots and transaction log under {@code <data>/zookeeper}. Listens on
 * 127.0.0.1 only. Not for several nodes: those point {@code cluster.zookeeper} at an ensemble.
 *
 * <p>It requires authentication ({@code enforce.auth.enabled}, scheme {@code digest}): a client that has not
 * authenticated gets {@code AuthFailed} on its first request and its session is closed, and what an authenticated
 * client may touch the znodes' ACLs decide ({@link ZooKeeperAcls}: only the cluster's credential).
 */
public final class EmbeddedZooKeeper implements AutoCloseable {
    /** ZooKeeper's switch that refuses every request of a session without the schemes below. */
    static final String ENFORCE_AUTH_ENABLED = "zookeeper.enforce.auth.enabled";
    /** The authentication schemes a session must have used. */
    static final String ENFORCE_AUTH_SCHEMES = "zookeeper.enforce.auth.schemes";
    private static final Object PROPERTIES = new Object();

    private final ZooKeeperServer server;
    private final ServerCnxnFactory factory;

    private EmbeddedZooKeeper(ZooKeeperServer server, ServerCnxnFactory factory) {
        this.server = server;
        this.factory = factory;
    }

    /** Starts the server; {@code port} 0 picks a free port. */
    public static EmbeddedZooKeeper start(Path dir, int port) {
        System.setProperty("zookeeper.admin.enableServer", "false");
        System.setProperty("zookeeper.4lw.commands.whitelist", "ruok,srvr,stat");
        System.setProperty("zookeeper.maxCnxns", "1000");
        try {
            File d = dir.toFile();
            if (!d.isDirectory() && !d.mkdirs()) {
                throw new IOException("cannot create " + d);
            }
            ZooKeeperServer zks = authenticating(() -> new WithoutJmx(new File(d, "snapshots"), new File(d, "log"), 500));
            ServerCnxnFactory f = new ConnectionsWithoutJmx();
            f.configure(new InetSocketAddress("127.0.0.1", port), 1000);
            f.startup(zks);
            return new EmbeddedZooKeeper(zks, f);
        } catch (IOException e) {
            throw new ClusterException("cannot start the embedded ZooKeeper in " + dir + " on port " + port
                    + ": " + e.getMessage() + " (free the port, or set cluster.zookeeper to an ensemble)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClusterException("interrupted while starting the embedded ZooKeeper", e);
        }
    }

    /**
     * The server without its JMX beans: registering them creates the JVM's platform MBean server (about 300 classes
     * and a tenth of a second of start-up, ADR 0030) for figures nobody reads here; the node's own {@code /metrics}
     * and {@code /health} say how the embedded server does.
     */
    private static final class WithoutJmx extends ZooKeeperServer {
        WithoutJmx(File snapshots, File log, int tickTime) throws IOException {
            super(snapshots, log, tickTime);
        }

        @Override
        protected void registerJMX() {
        }

        @Override
        protected void unregisterJMX() {
        }
    }

    /** ZooKeeper's NIO connection factory without a JMX bean per client connection (see {@link WithoutJmx}). */
    private static final class ConnectionsWithoutJmx extends NIOServerCnxnFactory {
        @Override
        public void registerConnection(ServerCnxn connection) {
        }

        @Override
        public void unregisterConnection(ServerCnxn connection) {
        }
    }

    interface ServerFactory {
        ZooKeeperServer create() throws IOException;
    }

    /**
     * Creates a server that enforces digest authentication. ZooKeeper reads the switch from system properties when
     * the server is constructed; they are set around the construction only, so that other servers in the same JVM
     * (tests) keep their own settings.
     */
    static ZooKeeperServer authenticating(ServerFactory factory) throws IOException {
        synchronized (PROPERTIES) {
            String enabled = System.getProperty(ENFORCE_AUTH_ENABLED);
            String schemes = System.getProperty(ENFORCE_AUTH_SCHEMES);
            System.setProperty(ENFORCE_AUTH_ENABLED, "true");
            System.setProperty(ENFORCE_AUTH_SCHEMES, "digest");
            try {
                return factory.create();
            } finally {
                restore(ENFORCE_AUTH_ENABLED, enabled);
                restore(ENFORCE_AUTH_SCHEMES, schemes);
            }
        }
    }

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }

    public int port() {
        return factory.getLocalPort();
    }

    public String connectString() {
        return "127.0.0.1:" + port();
    }

    @Override
    public void close() {
        factory.shutdown();
        server.shutdown(true);
    }
}
