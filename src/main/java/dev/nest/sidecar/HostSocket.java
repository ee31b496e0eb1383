package dev.nest.sidecar;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The Unix domain socket a runtime host listens on besides its TCP port (ADR 0032), as the gateway may use it: its
 * path and the uid that must be at the other end of a connection to it.
 *
 * <p>A driver that gives its hosts a socket ({@link dev.nest.spi.Pod#hostSocket}: the process driver, in the pod's
 * private scratch directory; docker and containerd, in a node directory mounted into the container,
 * {@link dev.nest.spi.PodHostSockets}) says where; once the host is healthy, the node agent looks at that path without
 * following links ({@link #observe}): only a socket file there is used,
 * and its owner (the uid that bound it) becomes {@link #uid}; the gateway refuses a connection whose peer credentials
 * name another uid before it writes a byte, so a function that swaps its socket for a link to another socket of the
 * machine (a neighbour's, an engine's) reaches nothing it could not reach before. Uids are as the node sees them, on
 * both sides (the socket file's owner, the peer's credentials), so a container's user namespace changes neither
 * the path's owner nor the check. Immutable.
 *
 * @param path absolute, at most {@link #MAX_PATH_BYTES} bytes in UTF-8, no NUL
 * @param uid  the socket file's owner, at least 0
 */
public record HostSocket(Path path, int uid) {
    /** The socket's file name in the pod's scratch directory. */
    public static final String FILE = "nest-host.sock";
    /** {@code sun_path} holds 108 bytes, one of them the terminating NUL. */
    public static final int MAX_PATH_BYTES = 107;

    public HostSocket {
        String problem = problem(path);
        if (!problem.isEmpty()) {
            throw new IllegalArgumentException("host socket " + path + ": " + problem);
        }
        if (uid < 0) {
            throw new IllegalArgumentException("host socket " + path + ": uid " + uid + " is negative");
        }
    }

    /** Whether a connection whose peer process runs as {@code peerUid} may carry requests: the owner only. Pure. */
    public boolean admits(int peerUid) {
        return peerUid == uid;
    }

    /** Why {@code path} cannot be a host socket's path, or {@code ""} when it can. Pure. */
    static String problem(Path path) {
        if (path == null) {
            return "no path";
        }
        if (!path.isAbsolute()) {
            return "not an absolute path";
        }
        String s = path.toString();
        if (s.indexOf('\0') >= 0) {
            return "the path holds a NUL byte";
        }
        int bytes = s.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_PATH_BYTES) {
            return "the path is " + bytes + " bytes long; a Unix socket path holds at most " + MAX_PATH_BYTES;
        }
        return "";
    }

    /**
     * What is at {@code path} once the host is healthy: a socket file (not a link) gives a host socket owned by its
     * owner; anything else (nothing, a link, a regular file) none, and the host is called over TCP.
     */
    static Optional<HostSocket> observe(Path path) {
        try {
            Map<String, Object> a = Files.readAttributes(path, "unix:mode,uid", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) a.get("mode");
            if ((mode & 0170000) != 0140000) { // S_IFSOCK
                return Optional.empty();
            }
            return Optional.of(new HostSocket(path, (Integer) a.get("uid")));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
