package dev.nest.driver.containerd;

import dev.nest.spi.SandboxException;
import java.util.Optional;

/**
 * Who may read a prepared container's environment file ({@link Prepared#writeEnv}), decided from the user and group
 * Nest's files get ({@link #of}, pure): the file holds the pod's secret, so it is never readable by every user of
 * the host.
 * <ul>
 *   <li>Nest runs as root: the file is given to the container's user ({@value OciSpec#UID}), mode 0400;</li>
 *   <li>Nest runs as the container's user: the file stays Nest's, mode 0400;</li>
 *   <li>Nest runs as another user: it cannot give the file away, so the file keeps Nest's group, mode 0440, and the
 *       container's process gets that group as a supplementary group ({@link #readerGid}, added to the OCI spec's
 *       {@code additionalGids} when the container is prepared). Only Nest, members of its group and the pod read it.
 *       A Nest whose group is root's (gid 0) is refused: the pod would get root's group.</li>
 * </ul>
 *
 * @param chownTo   the uid and gid to give the file to (root only)
 * @param mode      the file's permissions, {@code ls -l} style
 * @param readerGid the group the container's process needs to read it, if it is not the file's owner
 */
record EnvAccess(Optional<Integer> chownTo, String mode, Optional<Integer> readerGid) {
    EnvAccess {
        if (mode.length() != 9 || mode.charAt(6) != '-' || mode.charAt(7) != '-' || mode.charAt(8) != '-') {
            throw new IllegalArgumentException("an environment file is never readable by all: " + mode);
        }
    }

    /** The access for files created by {@code uid}:{@code gid} (the owner of the directory the file is written to). */
    static EnvAccess of(int uid, int gid) {
        if (uid == 0) {
            return new EnvAccess(Optional.of(OciSpec.UID), "r--------", Optional.empty());
        }
        if (uid == OciSpec.UID) {
            return new EnvAccess(Optional.empty(), "r--------", Optional.empty());
        }
        if (gid == 0) {
            throw new SandboxException("prepared containers need Nest to run as root, as uid " + OciSpec.UID + ", or with a "
                    + "primary group other than root's (uid " + uid + ", gid 0): the pod's environment file is shared with the "
                    + "pod through Nest's group; run Nest with another group, or set sidecar.drivers.containerd.prepared: 0");
        }
        return new EnvAccess(Optional.empty(), "r--r-----", Optional.of(gid));
    }
}
