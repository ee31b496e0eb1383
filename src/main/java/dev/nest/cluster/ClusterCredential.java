package dev.nest.cluster;

import dev.nest.common.NestException;
import dev.nest.config.NestConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;
import java.util.logging.Logger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The secret the nodes of one cluster share, and the two values derived from it so that the secret itself never
 * leaves the node: the ZooKeeper digest credential that guards every znode under {@code /nest}, and the value of the
 * {@value #HEADER} header that authenticates the nodes' HTTP calls to each other (load reports, artifact chunk
 * pushes and reads, forwarded invocations). Both are HMAC-SHA256 of a fixed label under the secret.
 *
 * <p>Peer calls: the caller adds {@code HEADER: }{@link #header()}; the callee accepts the call only when
 * {@link #verify(String)} of that header's value (absent: {@code null}) is true. The comparison takes the same time
 * whatever the value.
 *
 * <p>Where the secret comes from ({@link #resolve}): {@code cluster.secret}, else the file {@code cluster.secret-file};
 * with neither, the embedded ZooKeeper's node generates 32 random bytes into {@code <data>/cluster.secret} (mode
 * 0600) on its first start and reuses them afterwards, and a node of an external ensemble refuses to start.
 *
 * <p>Limits: the header value is a bearer value, the same on every call; whoever reads the traffic between nodes
 * can replay it, so the nodes' network must be private or carry TLS. ZooKeeper's digest scheme sends the derived
 * password in the clear to the ensemble in the same way. Immutable and thread-safe; {@link #toString} hides
 * everything.
 */
public final class ClusterCredential {
    private static final Logger LOG = Logger.getLogger(ClusterCredential.class.getName());

    /** The request header that carries {@link #header()} on calls between nodes. */
    public static final String HEADER = "X-Nest-Cluster-Auth";

    /** The file under the data directory that holds a generated secret. */
    public static final String SECRET_FILE = "cluster.secret";

    /** The ZooKeeper digest user name of every Nest node. */
    static final String ZOOKEEPER_USER = "nest";

    private static final int GENERATED_BYTES = 32;
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private final String header;
    private final String zooKeeperPassword;

    private ClusterCredential(byte[] secret) {
        this.header = derive(secret, "nest/peer-header/v1");
        this.zooKeeperPassword = derive(secret, "nest/zookeeper-digest/v1");
    }

    /**
     * The credential of {@code secret} (at least {@link NestConfig.Cluster#MIN_SECRET_LENGTH} characters once
     * stripped).
     *
     * @throws ClusterException when it is shorter
     */
    public static ClusterCredential of(String secret) {
        String s = secret.strip();
        if (s.length() < NestConfig.Cluster.MIN_SECRET_LENGTH) {
            throw new ClusterException("the cluster secret has " + s.length() + " characters; it needs at least "
                    + NestConfig.Cluster.MIN_SECRET_LENGTH + " (e.g. the output of `openssl rand -base64 32`)", null);
        }
        return new ClusterCredential(s.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * This node's credential from its settings: {@code cluster.secret}, else the first line of
     * {@code cluster.secret-file}, else (embedded ZooKeeper only) {@code <dataDir>/cluster.secret}, generated on the
     * first start.
     *
     * @throws ClusterException when the secret file cannot be read or written, or when an external ensemble is
     *                          configured without a secret; the message says what to set
     */
    public static ClusterCredential resolve(NestConfig.Cluster config, Path dataDir) {
        if (!config.secret().isBlank()) {
            return of(config.secret());
        }
        if (!config.secretFile().isBlank()) {
            return fromFile(Path.of(config.secretFile()), "cluster.secret-file");
        }
        if (!config.embedded()) {
            throw new ClusterException("cluster.zookeeper names an external ensemble (" + config.zookeeper() + ") but "
                    + "no cluster secret is set: set cluster.secret or cluster.secret-file in nest.yaml to the same "
                    + "secret on every node (e.g. the output of `openssl rand -base64 32`); see docs/SECURITY.md",
                    null);
        }
        return generatedIn(dataDir);
    }

    /** The credential kept in {@code <dataDir>/cluster.secret}, generated (mode 0600) when the file is missing. */
    static ClusterCredential generatedIn(Path dataDir) {
        Path file = dataDir.resolve(SECRET_FILE);
        if (!Files.exists(file)) {
            generate(file);
            LOG.info("generated a new cluster secret in " + file);
        }
        return fromFile(file, "the generated secret");
    }

    private static ClusterCredential fromFile(Path file, String what) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ClusterException("cannot read the cluster secret (" + what + ") from " + file + ": " + e
                    + "; check that it exists and that this user may read it", e);
        }
        warnIfOpen(file);
        String first = text.lines().findFirst().orElse("").strip();
        if (first.length() < NestConfig.Cluster.MIN_SECRET_LENGTH) {
            throw new ClusterException("the cluster secret in " + file + " has " + first.length()
                    + " characters on its first line; it needs at least " + NestConfig.Cluster.MIN_SECRET_LENGTH, null);
        }
        return of(first);
    }

    /** Writes a fresh random secret to {@code file}: into a new owner-only file beside it, then renamed. */
    private static void generate(Path file) {
        byte[] raw = new byte[GENERATED_BYTES];
        new SecureRandom().nextBytes(raw);
        String text = Base64.getUrlEncoder().withoutPadding().encodeToString(raw) + "\n";
        Path tmp = file.resolveSibling(SECRET_FILE + ".tmp");
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.deleteIfExists(tmp);
            try {
                Files.createFile(tmp, ownerOnly(file));
            } catch (FileAlreadyExistsException e) {
                throw new IOException(tmp + " appeared while it was being created", e);
            }
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file);
            }
        } catch (IOException e) {
            throw new ClusterException("cannot write a new cluster secret to " + file + ": " + e
                    + "; make the data directory writable, or set cluster.secret", e);
        }
    }

    private static FileAttribute<?>[] ownerOnly(Path file) {
        boolean posix = file.toAbsolutePath().getParent().getFileSystem().supportedFileAttributeViews().contains("posix");
        return posix ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY)} : new FileAttribute<?>[0];
    }

    private static void warnIfOpen(Path file) {
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(file);
            if (!OWNER_ONLY.containsAll(p)) {
                LOG.warning("the cluster secret file " + file + " is readable by others ("
                        + PosixFilePermissions.toString(p) + "); chmod 600 it");
            }
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system: nothing to check
        }
    }

    private static String derive(byte[] secret, String label) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(label.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
        }
    }

    /** The value a node sends in {@value #HEADER} on its calls to other nodes. */
    public String header() {
        return header;
    }

    /**
     * Whether {@code presented} (the {@value #HEADER} header of a call, {@code null} when absent) proves the caller
     * holds this cluster's secret. Takes the same time for every value of the same length.
     */
    public boolean verify(String presented) {
        if (presented == null) {
            return false;
        }
        return MessageDigest.isEqual(header.getBytes(StandardCharsets.US_ASCII),
                presented.strip().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Refuses a call between nodes that does not carry this cluster's {@value #HEADER}: {@code presented} is that
     * header's value, {@code null} when absent.
     *
     * @throws NestException 401 {@code unauthorized}, naming the header and the setting to check, unless
     *                       {@link #verify(String)} accepts {@code presented}
     */
    public void require(String presented) {
        if (!verify(presented)) {
            throw new NestException(401, "unauthorized", "this route is for the cluster's nodes only: the "
                    + HEADER + " header is " + (presented == null ? "missing" : "not this cluster's")
                    + "; every node must have the same cluster.secret");
        }
    }

    /**
     * The {@code user:password} the nodes authenticate to ZooKeeper with (scheme {@code digest}), for tools that
     * must reach the cluster's znodes, e.g. {@code addauth digest <this>} in {@code zkCli.sh}. Derived from the
     * secret, never the secret itself; keep it as secret all the same.
     */
    public String zooKeeperAuth() {
        return ZOOKEEPER_USER + ":" + zooKeeperPassword;
    }

    @Override
    public String toString() {
        return "ClusterCredential[(hidden)]";
    }
}
