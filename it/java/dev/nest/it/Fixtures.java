package dev.nest.it;

import dev.nest.NestServer;
import dev.nest.artifact.PackageWriter;
import dev.nest.config.NestConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Files, packages and nodes for the integration tests. */
public final class Fixtures {
    private Fixtures() {
    }

    /** The environment variable that presets the secret of a new region's first admin token. */
    public static final String BOOTSTRAP_ENV = "NEST_BOOTSTRAP_TOKEN";
    private static final String BOOTSTRAP_TOKEN = dev.nest.auth.TokenSecret.generate().reveal();

    /**
     * The first admin token of the regions that tests start as processes (given to each node in
     * {@value #BOOTSTRAP_ENV}); one per test JVM. In-process nodes cannot be given it (they read the real
     * environment): their clients read {@code <data>/admin.token} instead ({@link Http#of}).
     */
    public static String bootstrapToken() {
        return BOOTSTRAP_TOKEN;
    }

    /** The project root (Maven runs the tests there; failsafe also passes it as {@code nest.home}). */
    public static Path projectRoot() {
        return Path.of(System.getProperty("nest.home", ".")).toAbsolutePath().normalize();
    }

    public static Path runtimesDir() {
        return projectRoot().resolve("runtimes");
    }

    /** The {@code cluster.secret} every node of a test cluster on an external ZooKeeper shares. */
    public static final String CLUSTER_SECRET = "nest-integration-tests-cluster-secret";

    /**
     * The value of {@code X-Nest-Cluster-Auth} that the nodes of a test cluster ({@link #CLUSTER_SECRET}) accept: a
     * test that marks a request as forwarded by a node ({@code X-Nest-Forwarded-By}) must send it too.
     */
    public static final String PEER_AUTH = dev.nest.cluster.ClusterCredential.of(CLUSTER_SECRET).header();

    /**
     * Writes {@code home/nest.yaml} for one node of a multi-process cluster on loopback (process driver, data and
     * functions under {@code home}) and creates its functions directory.
     *
     * @param podPorts the node's {@code sidecar.port-range}, distinct per node
     */
    public static void writeNodeConfig(Path home, String id, String address, int port, String zone, String region,
                                       String zookeeper, java.time.Duration session, java.time.Duration operationTimeout,
                                       String podPorts) throws java.io.IOException {
        java.nio.file.Files.createDirectories(home.resolve("functions"));
        java.nio.file.Files.writeString(home.resolve("nest.yaml"), """
                data-dir: %s
                functions-dir: %s
                runtimes-dir: %s
                server:
                  host: %s
                  port: %d
                  shutdown-grace: 1s
                node:
                  id: %s
                  address: %s
                  zone: %s
                  region: %s
                cluster:
                  zookeeper: "%s"
                  secret: "%s"
                  session-timeout: %dms
                  connection-timeout: 3s
                  operation-timeout: %dms
                sidecar:
                  driver: process
                  port-range: %s
                """.formatted(home.resolve("data"), home.resolve("functions"), runtimesDir(), address, port, id, address,
                zone, region, zookeeper, CLUSTER_SECRET, session.toMillis(), operationTimeout.toMillis(), podPorts),
                java.nio.charset.StandardCharsets.UTF_8);
    }

    /**
     * {@code kill -9} of {@code process} and of every process it started (a server and its pods), as when the
     * machine dies: nothing is cleaned up. Waits up to 10 s for {@code process} to end.
     */
    public static void killTree(Process process) {
        List<ProcessHandle> pods = process.descendants().toList();
        process.destroyForcibly();
        pods.forEach(ProcessHandle::destroyForcibly);
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@code target/nest.jar}, as passed by failsafe in {@code nest.jar}. */
    public static Path nestJar() {
        return Path.of(System.getProperty("nest.jar", "target/nest.jar")).toAbsolutePath().normalize();
    }

    /** The java binary of the JDK running the tests. */
    /**
     * A thread dump of {@code p} for a failure report: {@code jcmd <pid> Thread.print -l} (platform threads with their
     * locks) and {@code Thread.dump_to_file} (virtual threads too), written to {@code out} and read back; best effort,
     * never throws. jcmd is the one beside the JDK running the tests.
     */
    public static String threadDump(Process p, Path out) {
        Path jcmd = Path.of(javaBinary()).resolveSibling("jcmd");
        String pid = Long.toString(p.pid());
        Path all = out.resolveSibling(out.getFileName() + ".all.txt");
        try {
            Files.deleteIfExists(out);
            Files.deleteIfExists(all);
            for (List<String> argv : List.of(List.of(jcmd.toString(), pid, "Thread.print", "-l"),
                    List.of(jcmd.toString(), pid, "Thread.dump_to_file", "-format=text", all.toString()))) {
                Process j = new ProcessBuilder(argv).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile())).start();
                if (!j.waitFor(30, TimeUnit.SECONDS)) {
                    j.destroyForcibly();
                    return "(" + jcmd + " did not answer within 30 s)";
                }
            }
            String text = Files.readString(out);
            return Files.exists(all) ? text + "\n---- all threads, virtual ones included ----\n" + Files.readString(all)
                    : text;
        } catch (IOException e) {
            return "(no thread dump: " + e + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "(no thread dump: interrupted)";
        }
    }

    public static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /**
     * Writes {@code text} to {@code dir/relative} atomically (temp file + move), so a watcher never sees a
     * half-written file. The temp file is made in {@code dir} itself (a function code directory below it
     * never holds a stray file), named so that the functions directory scan ignores it. Creates parents.
     */
    public static Path write(Path dir, String relative, String text) {
        try {
            Path target = dir.resolve(relative);
            Files.createDirectories(target.getParent());
            Path tmp = Files.createTempFile(dir, ".tmp-", ".part");
            Files.writeString(tmp, text);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A zip (the API's package form) of {@code files} (relative path to content), built with PackageWriter. */
    public static byte[] zip(Path scratch, Map<String, String> files) {
        try {
            Path dir = Files.createTempDirectory(scratch, "pkg-");
            files.forEach((rel, text) -> write(dir, rel, text));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            PackageWriter.zip(dir, out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts an in-process node on a free port with the defaults, its own data and functions directories. */
    public static NestServer startNode(Path dataDir, Path functionsDir) {
        return startNode(NestConfig.defaults(), dataDir, functionsDir);
    }

    /** Starts an in-process node from {@code base} with a free port and the given directories. */
    public static NestServer startNode(NestConfig base, Path dataDir, Path functionsDir) {
        quietLibraries();
        return NestServer.start(base.withPort(0).withDataDir(dataDir).withFunctionsDir(functionsDir)
                .withCluster(base.cluster().embedded() ? base.cluster() : base.cluster().withSecret(CLUSTER_SECRET))
                .withRuntimesDir(runtimesDir()));
    }

    /**
     * A port nothing listens on at loopback now, for a server that must be told its port before it starts (a
     * child process, a config file). Another process may take it before the server binds it; where the code can
     * bind port 0 itself, prefer that.
     */
    public static int freePort() {
        return freePort(InetAddress.getLoopbackAddress());
    }

    /** A port nothing listens on at {@code address} now (see {@link #freePort()}). */
    public static int freePort(String address) {
        try {
            return freePort(InetAddress.getByName(address));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int freePort(InetAddress address) {
        try (ServerSocket s = new ServerSocket(0, 1, address)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on " + address, e);
        }
    }

    /** A Node.js function file {@code <name>.yaml} with its code in {@code <name>/index.js}. */
    public static void nodeFunction(Path functionsDir, String name, String extraYaml, String indexJs) {
        write(functionsDir, name + "/index.js", indexJs);
        write(functionsDir, name + ".yaml", "name: " + name + "\nruntime: nodejs\ncode: " + name + "\n" + extraYaml);
    }

    /** Loggers quieted for in-process nodes; JUL holds loggers weakly, so they are kept here. */
    private static final List<Logger> QUIETED = new ArrayList<>();

    /** ZooKeeper, Curator and Helidon log every connection at INFO; keep the test output readable. */
    static synchronized void quietLibraries() {
        if (QUIETED.isEmpty()) {
            for (String name : List.of("org.apache.zookeeper", "org.apache.curator", "io.helidon")) {
                Logger l = Logger.getLogger(name);
                l.setLevel(Level.WARNING);
                QUIETED.add(l);
            }
        }
    }
}
