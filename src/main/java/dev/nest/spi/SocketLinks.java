package dev.nest.spi;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Short node-side paths to host sockets whose own path is longer than {@code sun_path} holds (ADR 0032, addendum
 * "Host sockets under long data directories"): a directory of links, {@code <base>/nest-<uid>-s/}, holds one symbolic
 * link per socket directory ({@code <12 hex digits of the directory's SHA-256>} pointing at it), so that the node
 * agent and the gateway connect to {@code <base>/nest-<uid>-s/<link>/nest-host.sock} (about 45 bytes under
 * {@code /tmp}); the kernel follows the link while it resolves the path. The socket itself and the path the pod binds
 * are unchanged.
 *
 * <p>Who can plant what: the directory is made with mode 0700 (given at creation, so there is no moment it is open)
 * and owned by Nest's uid; one that already exists is used only when it is a directory (not a link) of Nest's uid
 * with no permission for group or others, in a base that nobody else can rename entries in (owned by root or Nest's
 * uid and not writable by others, or sticky). A name taken by someone else (another user can make
 * {@code /tmp/nest-0-s} first) is not used: a directory with a random name is made in the same base instead
 * ({@link Files#createTempDirectory}, which fails rather than reuse an existing name), and that is said once at
 * WARNING. Only Nest's uid can then add, replace or remove a link, and a link points where Nest said.
 *
 * <p>Bases, in order: {@code $XDG_RUNTIME_DIR}, {@code /run/user/<uid>}, {@code /run} (root only),
 * {@code java.io.tmpdir}, {@code /tmp}; the
 * first that exists, passes its check and gives a path that fits is used. Nothing is made until the first long path
 * (a node whose data directory is short never makes the directory). When no base gives a path that fits,
 * {@link #reach} answers empty with the reason in {@link #lastRefusal}; the caller logs it and the pod is called over
 * TCP.
 *
 * <p>Links are replaced atomically (a new link renamed over the old one), so two pods of one directory never see a
 * half-made link; links whose target is gone (a pod that was removed) are removed whenever a new link is made. Several
 * Nest nodes of one uid on one machine share the directory; their links differ because their targets do.
 *
 * <p>Thread-safe ({@link #reach} is synchronized: link making is rare, a pod start with a long path).
 */
public final class SocketLinks {
    private static final Logger LOG = Logger.getLogger(SocketLinks.class.getName());
    /** {@code sun_path} holds 108 bytes, one of them the terminating NUL. */
    public static final int MAX_PATH_BYTES = 107;

    private final int uid;
    private final List<Path> bases;
    private Path dir;
    private String lastRefusal = "";
    private boolean toldHijack;

    /**
     * @param uid   the uid Nest runs as (the links' directory must be its)
     * @param bases candidate directories for the links' directory, in order of preference
     */
    public SocketLinks(int uid, List<Path> bases) {
        this.uid = uid;
        this.bases = List.copyOf(bases);
    }

    /** One per process: the bases from the environment ({@code XDG_RUNTIME_DIR}, {@code /run/user/<uid>}, {@code /run}, the tmp dirs). */
    public static SocketLinks system() {
        return Holder.SYSTEM;
    }

    private static final class Holder {
        static final SocketLinks SYSTEM = new SocketLinks(PodHostSockets.processUid(),
                defaultBases(System.getenv("XDG_RUNTIME_DIR"), PodHostSockets.processUid(),
                        System.getProperty("java.io.tmpdir")));
    }

    /** The bases in order, without duplicates or relative paths. Pure. */
    static List<Path> defaultBases(String xdgRuntimeDir, int uid, String tmpDir) {
        LinkedHashSet<Path> out = new LinkedHashSet<>();
        // /run for root: not swept by age like /tmp (systemd-tmpfiles), and only root may make entries there
        for (String s : new String[] {xdgRuntimeDir, uid >= 0 ? "/run/user/" + uid : null, uid == 0 ? "/run" : null,
                tmpDir, "/tmp"}) {
            if (s != null && !s.isBlank() && s.indexOf('\0') < 0) {
                Path p = Path.of(s.trim()).normalize();
                if (p.isAbsolute()) {
                    out.add(p);
                }
            }
        }
        return List.copyOf(out);
    }

    /** Whether {@code path} fits in {@code sun_path}. Pure. */
    public static boolean fits(Path path) {
        return bytes(path) <= MAX_PATH_BYTES;
    }

    private static int bytes(Path path) {
        return path.toString().getBytes(StandardCharsets.UTF_8).length;
    }

    /** The name of the link to {@code target}: 12 hex digits of the SHA-256 of its absolute path. Pure. */
    static String linkName(Path target) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(
                    target.toAbsolutePath().normalize().toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A path at most {@value #MAX_PATH_BYTES} bytes long that reaches {@code socket}: {@code socket} itself when it
     * fits, else the socket's name under a link to its directory; empty when none can be made ({@link #lastRefusal}
     * says why). The socket's directory must exist.
     */
    public synchronized Optional<Path> reach(Path socket) {
        Path abs = socket.toAbsolutePath().normalize();
        if (fits(abs)) {
            return Optional.of(abs);
        }
        Path target = abs.getParent();
        String name = linkName(target);
        String file = abs.getFileName().toString();
        List<String> why = new ArrayList<>();
        if (dir != null) {
            Optional<Path> p = linkIn(dir, name, target, file, why);
            if (p.isPresent()) {
                return p;
            }
        }
        // from the first base again: the directory may have gone (a temporary-file cleaner) and is then made anew
        for (Path base : bases) {
            // a path that could not fit even with the shortest directory name is not worth making a directory for
            if (bytes(base.resolve("nest-" + uid + "-s").resolve(name).resolve(file)) > MAX_PATH_BYTES) {
                why.add(base + " is too long");
                continue;
            }
            Optional<Path> d = directoryIn(base, why);
            if (d.isEmpty()) {
                continue;
            }
            Optional<Path> p = linkIn(d.get(), name, target, file, why);
            if (p.isPresent()) {
                dir = d.get();
                return p;
            }
        }
        lastRefusal = "the socket's path " + abs + " is " + bytes(abs) + " bytes long, more than a Unix socket path "
                + "holds (" + MAX_PATH_BYTES + "), and no short link to it could be made (" + String.join("; ", why) + ")";
        return Optional.empty();
    }

    /** Why the last {@link #reach} answered empty. */
    public synchronized String lastRefusal() {
        return lastRefusal;
    }

    /** Removes the link that {@link #reach} made for {@code socket}, if any; quiet. */
    public synchronized void forget(Path socket) {
        Path abs = socket.toAbsolutePath().normalize();
        if (dir == null || fits(abs)) {
            return;
        }
        try {
            Files.deleteIfExists(dir.resolve(linkName(abs.getParent())));
        } catch (IOException e) {
            // a dangling link is removed at the next link made
        }
    }

    private Optional<Path> linkIn(Path d, String name, Path target, String file, List<String> why) {
        Path link = d.resolve(name);
        Path reach = link.resolve(file);
        if (!fits(reach)) {
            why.add(reach + " is too long");
            return Optional.empty();
        }
        try {
            String problem = problem(d, uid);
            if (!problem.isEmpty()) {
                why.add(d + " " + problem);
                return Optional.empty();
            }
            removeDangling(d);
            if (Files.isSymbolicLink(link) && Files.readSymbolicLink(link).equals(target)) {
                return Optional.of(reach);
            }
            Path fresh = d.resolve(name + ".new-" + Long.toHexString(System.nanoTime()));
            Files.createSymbolicLink(fresh, target);
            Files.move(fresh, link, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return Optional.of(reach);
        } catch (IOException | RuntimeException e) {
            why.add("cannot link " + link + " to " + target + ": " + e.getMessage());
            return Optional.empty();
        }
    }

    private static void removeDangling(Path d) {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(d)) {
            for (Path p : s) {
                if (Files.isSymbolicLink(p) && !Files.exists(p)) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            // left for the next link made
        }
    }

    /** The links' directory in {@code base}: its usual name, or a fresh random one when that name is not ours. */
    private Optional<Path> directoryIn(Path base, List<String> why) {
        try {
            String b = baseProblem(base, uid);
            if (!b.isEmpty()) {
                why.add(base + " " + b);
                return Optional.empty();
            }
            Path usual = base.resolve("nest-" + uid + "-s");
            try {
                Files.createDirectory(usual, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (FileAlreadyExistsException e) {
                // made earlier (by this node, another node of this uid, or someone else): checked below
            }
            String problem = problem(usual, uid);
            if (problem.isEmpty()) {
                return Optional.of(usual);
            }
            Path random = Files.createTempDirectory(base, "nest-" + uid + "-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            if (!toldHijack) {
                toldHijack = true;
                LOG.warning(usual + " " + problem + ", so it is not used for host socket links; using " + random
                        + " instead (said once)");
            }
            String again = problem(random, uid);
            if (!again.isEmpty()) {
                why.add(random + " " + again);
                return Optional.empty();
            }
            return Optional.of(random);
        } catch (IOException | RuntimeException e) {
            why.add("cannot make a directory in " + base + ": " + e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * What is wrong with {@code dir} as the links' directory of {@code uid}, or {@code ""}: it must be a directory, not
     * a link, owned by {@code uid}, without any permission for group or others.
     */
    static String problem(Path dir, int uid) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return "does not exist";
        }
        Map<String, Object> a = Files.readAttributes(dir, "unix:mode,uid", LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) a.get("mode");
        if ((mode & 0170000) == 0120000) {
            return "is a symbolic link";
        }
        if ((mode & 0170000) != 0040000) {
            return "is not a directory";
        }
        if ((Integer) a.get("uid") != uid) {
            return "is owned by uid " + a.get("uid") + ", not " + uid;
        }
        if ((mode & 0077) != 0) {
            return "has mode " + Integer.toOctalString(mode & 07777) + ", not 700";
        }
        return "";
    }

    /**
     * What is wrong with {@code base} as the parent of the links' directory, or {@code ""}: an existing directory
     * (followed if a link: {@code /tmp} may be one), owned by root or {@code uid}, and either not writable by others
     * or sticky (so no one else can rename or remove what {@code uid} made in it).
     */
    static String baseProblem(Path base, int uid) throws IOException {
        if (!Files.isDirectory(base)) {
            return "is not a directory";
        }
        Map<String, Object> a = Files.readAttributes(base, "unix:mode,uid");
        int owner = (Integer) a.get("uid");
        int mode = (Integer) a.get("mode");
        if (owner != 0 && owner != uid) {
            return "is owned by uid " + owner;
        }
        if ((mode & 0022) != 0 && (mode & 01000) == 0) {
            return "is writable by others without the sticky bit (mode " + Integer.toOctalString(mode & 07777) + ")";
        }
        return "";
    }
}
