package dev.nest.spi;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.logging.Logger;

/**
 * The host sockets of a driver whose pods are containers (docker, containerd; ADR 0032, addendum): each pod gets a
 * node directory {@code <pod dir>/host/} bind-mounted read-write at {@value #MOUNT}, in which its runtime host binds
 * {@value #FILE} ({@code NEST_HOST_SOCKET=}{@value #IN_POD}); the node agent and the gateway reach the socket at the
 * node-side path ({@link Pod#hostSocket()}).
 * <pre>
 *   &lt;pod dir&gt;/       0711  Nest's (made by {@link PodCodeDirs}); the pod cannot rename or replace its entries
 *     host/          0700  owned by the container process's uid as the node sees it; only it and root can enter
 *       nest-host.sock     bound by the host
 * </pre>
 *
 * <p>A socket is given only when Nest runs as root (the directory must belong to the container's uid, whom Nest's
 * own user could not give it to; a directory open to all would let any local user plant a socket the gateway trusts),
 * when the container's uid on the node is known (a user namespace whose mapping is not known gives none), and when
 * the node-side path fits in {@code sun_path} ({@value #MAX_PATH_BYTES} bytes) or a short link to its directory can
 * be made ({@link SocketLinks}: the node then connects through it; the container's path does not change). Otherwise the pod is called over TCP
 * only, with a log line saying why (INFO the first time, FINE after; {@link #create} answers empty). The
 * directory is checked after it is made (a directory, not a link, of the expected owner and mode 0700, in a parent
 * that is root's and writable by root only); a check that fails gives TCP only, too (a WARNING each time).
 *
 * <p>Lifecycle: {@link #create} after the pod's directory is made and before the container starts; the directory
 * goes with the pod's directory ({@link PodCodeDirs#remove}). Thread-safe (no state but the log-once flags).
 */
public final class PodHostSockets {
    private static final Logger LOG = Logger.getLogger(PodHostSockets.class.getName());
    /** Where a container sees its socket directory. */
    public static final String MOUNT = "/nest/host";
    /** The socket's file name. */
    public static final String FILE = "nest-host.sock";
    /** The socket's path inside the container, the value of {@code NEST_HOST_SOCKET}. */
    public static final String IN_POD = MOUNT + "/" + FILE;
    /** The name of the socket directory in the pod's directory. */
    public static final String DIR = "host";
    /** The environment variable that tells a host where to bind its socket. */
    public static final String VARIABLE = "NEST_HOST_SOCKET";
    /** {@code sun_path} holds 108 bytes, one of them the terminating NUL. */
    public static final int MAX_PATH_BYTES = 107;

    /** Changes a file's owner (a narrow view of the file system, for tests). */
    @FunctionalInterface
    public interface Owner {
        void set(Path path, int uid, int gid) throws IOException;

        /** The file system's own {@code chown}, without following links. */
        Owner SYSTEM = (path, uid, gid) -> {
            Files.setAttribute(path, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(path, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
        };
    }

    private final String driver;
    private final boolean enabled;
    private final int nestUid;
    private final Owner owner;
    private final SocketLinks links;
    private volatile boolean toldWhy;

    /**
     * @param driver  the driver's name, for messages
     * @param enabled the driver's {@code host-socket} setting
     * @param nestUid the uid Nest runs as ({@link #processUid()})
     * @param owner   how a directory is given to the container's uid
     */
    public PodHostSockets(String driver, boolean enabled, int nestUid, Owner owner) {
        this(driver, enabled, nestUid, owner, SocketLinks.system());
    }

    /**
     * @param links where a socket whose node-side path is too long for {@code sun_path} gets a short path
     *              ({@link SocketLinks}; the process's own by default)
     */
    public PodHostSockets(String driver, boolean enabled, int nestUid, Owner owner, SocketLinks links) {
        this.driver = driver;
        this.enabled = enabled;
        this.nestUid = nestUid;
        this.owner = owner;
        this.links = links;
    }

    /** The node-side socket directory of the pod whose directory is {@code podDir}: what is mounted at {@value #MOUNT}. */
    public static Path directory(Path podDir) {
        return podDir.resolve(DIR);
    }

    /** The uid this process runs as (the owner of a file it makes in the system's temporary directory). */
    public static int processUid() {
        try {
            Path probe = Files.createTempFile("nest-uid", ".probe");
            try {
                return (Integer) Files.getAttribute(probe, "unix:uid");
            } finally {
                Files.deleteIfExists(probe);
            }
        } catch (IOException | UnsupportedOperationException e) {
            return -1;
        }
    }

    /**
     * Why a pod cannot have a host socket, or {@code ""} when it can: the setting, Nest's uid, the container's uid on
     * the node and the length of the node-side path. Pure.
     *
     * @param enabled   the {@code host-socket} setting
     * @param nestUid   the uid Nest runs as
     * @param nodeUid   the container process's uid as the node sees it; empty when not known
     * @param socket    the node-side path of the socket
     */
    public static String refusal(boolean enabled, int nestUid, OptionalInt nodeUid, Path socket) {
        String why = refusal(enabled, nestUid, nodeUid);
        if (!why.isEmpty()) {
            return why;
        }
        int bytes = socket.toString().getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_PATH_BYTES) {
            return "the socket's path " + socket + " is " + bytes + " bytes long, more than a Unix socket path holds ("
                    + MAX_PATH_BYTES + "); a shorter data directory gives one";
        }
        return "";
    }

    /** Why a pod cannot have a host socket whatever its path, or {@code ""}: the setting, Nest's uid, the container's uid. Pure. */
    public static String refusal(boolean enabled, int nestUid, OptionalInt nodeUid) {
        if (!enabled) {
            return "host-socket is false";
        }
        if (nestUid != 0) {
            return "Nest does not run as root (uid " + nestUid + "), so it cannot give a socket directory to the "
                    + "container's user alone";
        }
        if (nodeUid.isEmpty()) {
            return "the container's uid on this node is not known (a user namespace whose mapping Nest cannot read)";
        }
        return "";
    }

    /**
     * Makes the socket directory of the pod whose directory is {@code podDir} and answers the node-side path the node
     * connects to: the socket in {@link #directory}, or, when that path is longer than {@code sun_path} holds, the
     * same socket through a short link ({@link SocketLinks}; the container's path is the same either way). Empty (the
     * pod uses TCP, logged) when it may not have one, no short path can be made or the directory fails its checks.
     *
     * @param podDir  the pod's directory (exists, Nest's)
     * @param nodeUid the container process's uid (and gid) as the node sees it; empty when not known
     */
    public Optional<Path> create(Path podDir, OptionalInt nodeUid) {
        Path dir = directory(podDir);
        Path socket = dir.resolve(FILE);
        String why = refusal(enabled, nestUid, nodeUid);
        if (!why.isEmpty()) {
            tell(why);
            return Optional.empty();
        }
        int uid = nodeUid.getAsInt();
        try {
            Files.createDirectory(dir);
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
            owner.set(dir, uid, uid);
            String problem = problem(dir, uid);
            if (!problem.isEmpty()) {
                LOG.warning("the host socket directory " + dir + " of a " + driver + " pod " + problem + "; the pod is "
                        + "called over TCP only");
                CodeViews.deleteTree(dir);
                return Optional.empty();
            }
            // after the directory exists: a link to a directory not there yet would be swept as dangling
            Optional<Path> reach = links.reach(socket);
            if (reach.isEmpty()) {
                tell(links.lastRefusal());
                CodeViews.deleteTree(dir);
            }
            return reach;
        } catch (IOException | RuntimeException e) {
            LOG.warning("cannot make the host socket directory " + dir + " of a " + driver + " pod (" + e.getMessage()
                    + "); the pod is called over TCP only");
            try {
                CodeViews.deleteTree(dir);
            } catch (IOException ignored) {
                // goes with the pod's directory
            }
            return Optional.empty();
        }
    }

    /** Says why a pod gets no socket: INFO the first time, FINE after; nothing when the setting is off. */
    private void tell(String why) {
        if (enabled && !toldWhy) {
            toldWhy = true;
            LOG.info(driver + " pods are called over TCP only, without a host socket: " + why
                    + " (said once; later pods at FINE)");
        } else if (enabled) {
            LOG.fine(() -> driver + " pod without a host socket: " + why);
        }
    }

    /**
     * What is wrong with socket directory {@code dir} meant for {@code uid}, or {@code ""}: it must be a directory
     * (not a link) owned by {@code uid} with mode 0700, in a parent owned by root that no one else may write.
     */
    static String problem(Path dir, int uid) throws IOException {
        Map<String, Object> a = Files.readAttributes(dir, "unix:mode,uid", LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) a.get("mode");
        if ((mode & 0170000) != 0040000) {
            return "is not a directory";
        }
        if ((Integer) a.get("uid") != uid) {
            return "is owned by uid " + a.get("uid") + ", not by the container's uid " + uid;
        }
        if ((mode & 07777) != 0700) {
            return "has mode " + Integer.toOctalString(mode & 07777) + ", not 700";
        }
        Map<String, Object> p = Files.readAttributes(dir.getParent(), "unix:mode,uid", LinkOption.NOFOLLOW_LINKS);
        if ((Integer) p.get("uid") != 0 || ((Integer) p.get("mode") & 0022) != 0) {
            return "is in " + dir.getParent() + ", which is not root's alone (uid " + p.get("uid") + ", mode "
                    + Integer.toOctalString((Integer) p.get("mode") & 07777) + ")";
        }
        return "";
    }

    /** {@code env} plus {@code NEST_HOST_SOCKET} when the pod has a socket. Pure. */
    public static Map<String, String> env(Map<String, String> env, Optional<Path> socket) {
        if (socket.isEmpty()) {
            return env;
        }
        Map<String, String> all = new LinkedHashMap<>(env);
        all.put(VARIABLE, IN_POD);
        return all;
    }

    /** {@code spec} with {@link #env} applied. Pure. */
    public static PodSpec withSocket(PodSpec spec, Optional<Path> socket) {
        if (socket.isEmpty()) {
            return spec;
        }
        return new PodSpec(spec.podId(), spec.runtime(), spec.image(), spec.command(), env(spec.env(), socket),
                spec.runtimeDir(), spec.codeRoot(), spec.address(), spec.port(), spec.memoryBytes(), spec.cpus(),
                spec.pids(), spec.labels(), spec.workDir());
    }

    /** Parses a {@code host-socket} value: true or false (any case, trimmed); anything else is added to {@code problems}. */
    public static boolean setting(String prefix, String value, java.util.List<String> problems) {
        String v = value.trim();
        if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
            return v.equalsIgnoreCase("true");
        }
        problems.add(DriverOptions.problem(prefix, "host-socket", value,
                "true (each pod's host also listens on a Unix domain socket the gateway uses) or false (TCP only)"));
        return false;
    }
}
