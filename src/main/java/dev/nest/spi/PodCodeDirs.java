package dev.nest.spi;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * The per-pod code directories of a driver whose pods are containers (docker, containerd): each pod mounts its own
 * directory {@code <root>/<name>/code/} read-only at one mount point, empty when the pod starts (a warm-pool pod
 * knows no function yet), and {@link #pathInPod} puts the {@linkplain CodeViews view} of a code version in it when
 * the version is loaded into the pod. Entries made in the directory on the host appear in the container at once
 * (the bind mount is the same directory), so a pod sees the code of the versions it hosts and nothing else of the
 * node's code directory.
 * <pre>
 *   &lt;root&gt;/           0711  Nest's; runtimes may pass through, not list
 *     &lt;name&gt;/         0711
 *       code/          0755  mounted at the mount point; the container's user may list and read, not write
 *         &lt;version&gt;/  0755  hard links to the version's read-only files ({@link CodeViews})
 * </pre>
 *
 * <p>Lifecycle: {@link #create} before the container is made, {@link #remove} when it is gone (or its start
 * failed), {@link #removeOrphans} at the node's start for what a crashed run left behind (every directory not
 * created by this instance).
 *
 * <p>Failure: {@link #create} and {@link #pathInPod} throw a {@link SandboxException} naming the directory and the
 * cause; {@link #remove} and {@link #removeOrphans} log what they cannot delete, which the next orphan removal
 * retries. Thread-safe: pods are created, loaded and removed from many threads at once.
 */
public final class PodCodeDirs {
    private static final Logger LOG = Logger.getLogger(PodCodeDirs.class.getName());
    private static final Set<PosixFilePermission> TRAVERSE_ONLY = PosixFilePermissions.fromString("rwx--x--x");
    private static final Set<PosixFilePermission> READ_DIR = PosixFilePermissions.fromString("rwxr-xr-x");

    private final String driver;
    private final Path root;
    private final String mount;
    /** The names of the directories this instance made and has not removed (starting and running pods). */
    private final Set<String> live = ConcurrentHashMap.newKeySet();

    /**
     * @param driver the driver's name, for messages
     * @param root   the directory holding the pods' directories (made on first use)
     * @param mount  where pods see their code directory
     */
    public PodCodeDirs(String driver, Path root, String mount) {
        this.driver = driver;
        this.root = root.toAbsolutePath().normalize();
        this.mount = mount;
    }

    /** The code directory of the pod directory {@code name} ({@code <root>/<name>/code}), whether or not it exists. */
    public Path codeDir(String name) {
        Path dir = root.resolve(name).normalize();
        if (!dir.getParent().equals(root)) {
            throw new IllegalArgumentException("a pod directory cannot be named " + name);
        }
        return dir.resolve("code");
    }

    /**
     * Makes the empty code directory of pod directory {@code name}, replacing a leftover one, and returns it.
     *
     * @throws SandboxException when a pod of this instance holds that directory, or it cannot be made
     */
    public Path create(String name) {
        Path code = codeDir(name);
        if (!live.add(name)) {
            throw new SandboxException("a " + driver + " pod with the code directory " + code + " is running already");
        }
        try {
            Files.createDirectories(root);
            Files.setPosixFilePermissions(root, TRAVERSE_ONLY);
            CodeViews.deleteTree(code.getParent());
            Files.createDirectory(code.getParent());
            Files.setPosixFilePermissions(code.getParent(), TRAVERSE_ONLY);
            Files.createDirectory(code);
            Files.setPosixFilePermissions(code, READ_DIR);
            return code;
        } catch (IOException | RuntimeException e) {
            live.remove(name);
            throw new SandboxException("cannot make the code directory " + code + " of a " + driver + " pod ("
                    + e.getMessage() + "); check that the node's data directory is writable", e);
        }
    }

    /**
     * Where the pod of directory {@code name} sees {@code hostPath}, a code version's directory under
     * {@code spec.codeRoot()}: the version's view is made in the pod's code directory first (once per pod and
     * version). The in-pod path is the one the whole code root mounted at the mount point would give.
     *
     * @throws SandboxException when the path is not a directory strictly under the code root, the pod has no code
     *                          directory (not started by this driver, or gone), or the view cannot be made
     */
    public String pathInPod(PodSpec spec, String name, Path hostPath) {
        String inPod = Containers.pathInPod(driver, spec, hostPath, mount);
        if (inPod.equals(mount)) {
            throw new SandboxException("pod " + spec.podId() + " may not see the node's whole code directory "
                    + hostPath + "; only the code versions loaded into it");
        }
        if (!live.contains(name)) {
            throw new SandboxException("pod " + spec.podId() + " is not running in the " + driver + " driver of this node");
        }
        try {
            CodeViews.view(codeDir(name), hostPath, inPod.substring(mount.length() + 1));
        } catch (IOException e) {
            throw new SandboxException("cannot give pod " + spec.podId() + " read access to " + hostPath + " in "
                    + codeDir(name) + ": " + e.getMessage(), e);
        }
        return inPod;
    }

    /** Deletes the pod directory {@code name} and everything in it. */
    public void remove(String name) {
        live.remove(name);
        delete(root.resolve(name));
    }

    /** Deletes every pod directory under the root that this instance did not create; returns how many. */
    public int removeOrphans() {
        if (!Files.isDirectory(root)) {
            return 0;
        }
        int removed = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
            for (Path dir : ds) {
                if (!live.contains(dir.getFileName().toString()) && delete(dir)) {
                    removed++;
                }
            }
        } catch (IOException e) {
            LOG.warning("cannot scan " + root + " for the code directories of gone " + driver + " pods: " + e.getMessage());
        }
        return removed;
    }

    private boolean delete(Path dir) {
        try {
            CodeViews.deleteTree(dir);
            return true;
        } catch (IOException e) {
            LOG.warning("cannot delete " + dir + " (left for the next orphan removal): " + e.getMessage());
            return false;
        }
    }
}
