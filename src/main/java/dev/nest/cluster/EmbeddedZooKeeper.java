package dev.nest.cluster;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZooKeeperServer;

/**
 * A single ZooKeeper server inside the Nest process, the single-server default: the same Curator code path
 * as a real ensemble, with its snapshots and transaction log under {@code <data>/zookeeper}. Listens on
 * 127.0.0.1 only. Not for several nodes: those point {@code cluster.zookeeper} at an ensemble.
 */
public final class EmbeddedZooKeeper implements AutoCloseable {
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
            ZooKeeperServer zks = new ZooKeeperServer(new File(d, "snapshots"), new File(d, "log"), 500);
            ServerCnxnFactory f = ServerCnxnFactory.createFactory(new InetSocketAddress("127.0.0.1", port), 1000);
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
