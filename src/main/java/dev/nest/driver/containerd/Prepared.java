package dev.nest.driver.containerd;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.spi.PodListener;
import dev.nest.spi.SandboxException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One prepared container ({@link PreparedContainers}): its task is created (shim running, {@code runc create} done,
 * the container's init waiting to exec) but not started, so the pod it will serve is not known yet. What a pod
 * needs that the container's spec cannot hold is given at the start:
 * <ul>
 *   <li>the pod's environment ({@code NEST_HOST_PORT}, the secret, ...): the container's process is
 *       {@code /bin/sh -c '. /nest/env/env && exec "$@"' <the image's entrypoint>}, and {@link #writeEnv} writes the
 *       file into the directory mounted read-only at {@value #ENV_MOUNT} just before the task starts, readable by
 *       the pod's user and never by every user of the host ({@link EnvAccess}). The image must have a POSIX
 *       {@code /bin/sh} (Nest's runtime images do);</li>
 *   <li>the pod's output: the FIFOs are read from the start, into {@link #listener()}, which passes lines on once a
 *       pod is attached;</li>
 * </ul>
 * The container keeps the labels it was prepared with (the node's owner labels and {@value #LABEL}); the driver
 * keeps which pod runs in it.
 *
 * @param resources    the container, snapshot and lease (all named by the container id)
 * @param imageContent the chain id of the image it was made from
 * @param output       its output FIFOs, open
 * @param listener     where its output goes once attached
 * @param envDir       the host directory mounted at {@value #ENV_MOUNT}
 * @param access       who may read the environment file written there
 * @param pid          the pid of the created task's process
 * @param hostSocket   the node-side path of the socket in its socket directory (mounted at
 *                     {@value dev.nest.spi.PodHostSockets#MOUNT}), if it has one: the pod's environment then names
 *                     the socket ({@link dev.nest.spi.PodHostSockets#env})
 */
record Prepared(Resources resources, String imageContent, PodOutput output, Forwarding listener, Path envDir, EnvAccess access,
                int pid, java.util.Optional<Path> hostSocket) {
    static final String ENV_MOUNT = "/nest/env";
    static final String LABEL = "dev.nest.prepared";
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final String SCRIPT = ". " + ENV_MOUNT + "/env && exec \"$@\"";

    String containerId() {
        return resources.containerId();
    }

    /**
     * Rewrites a built OCI spec for a prepared container: its process reads the pod's environment from
     * {@value #ENV_MOUNT}/env before it execs the image's entrypoint (behind the init, when there is one), and
     * {@code envDir} is mounted there read-only; the process gets {@code access}'s reader group, if any.
     */
    static void lateEnvironment(ObjectNode spec, Path envDir, boolean init, EnvAccess access) {
        ArrayNode args = (ArrayNode) spec.path("process").path("args");
        List<String> all = new ArrayList<>();
        args.forEach(a -> all.add(a.asText()));
        List<String> image = init ? List.copyOf(all.subList(2, all.size())) : all;
        args.removeAll();
        if (init) {
            args.add(OciSpec.INIT_MOUNT).add("--");
        }
        args.add("/bin/sh").add("-c").add(SCRIPT).add("nest-host");
        image.forEach(args::add);
        ObjectNode m = ((ArrayNode) spec.path("mounts")).addObject();
        m.put("destination", ENV_MOUNT);
        m.put("type", "bind");
        m.put("source", envDir.toString());
        m.putArray("options").add("rbind").add("ro").add("nosuid").add("nodev").add("noexec");
        access.readerGid().ifPresent(gid -> {
            ObjectNode process = (ObjectNode) spec.path("process");
            ObjectNode user = process.has("user") ? (ObjectNode) process.get("user") : process.putObject("user");
            ArrayNode gids = user.has("additionalGids") ? (ArrayNode) user.get("additionalGids") : user.putArray("additionalGids");
            gids.add(gid);
        });
    }

    /** The pod's environment as a POSIX shell script of {@code export 'NAME'='value'} lines. */
    static String script(Map<String, String> env) {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, String> e : env.entrySet()) {
            if (!NAME.matcher(e.getKey()).matches()) {
                throw new SandboxException("environment variable name '" + e.getKey() + "' cannot be passed to a prepared "
                        + "container (letters, digits and '_', not starting with a digit)");
            }
            if (e.getValue().indexOf('\0') >= 0) {
                throw new SandboxException("environment variable " + e.getKey() + " holds a NUL character");
            }
            b.append("export ").append(e.getKey()).append('=').append(quoted(e.getValue())).append('\n');
        }
        return b.toString();
    }

    static String quoted(String value) {
        return "'" + value.replace("'", "'\\''") + "'";
    }

    /**
     * Writes the pod's environment where the container's process reads it (written whole, then renamed), with the
     * owner and mode of {@link #access()}: readable by the pod's user, never by all.
     */
    void writeEnv(Map<String, String> env) {
        write(envDir, access, script(env), containerId());
    }

    static void write(Path envDir, EnvAccess access, String script, String containerId) {
        Path tmp = envDir.resolve("env.part");
        Path file = envDir.resolve("env");
        try {
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, script, StandardCharsets.UTF_8);
            if (access.chownTo().isPresent()) {
                Files.setAttribute(tmp, "unix:uid", access.chownTo().get());
                Files.setAttribute(tmp, "unix:gid", access.chownTo().get());
            }
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString(access.mode()));
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            throw new SandboxException("cannot write the environment of prepared container " + containerId + " to "
                    + file + ": " + e.getMessage(), e);
        }
    }

    /** Output lines of a prepared container: dropped until a pod is attached, then passed on under its id. */
    static final class Forwarding implements PodListener {
        private volatile String podId = "";
        private volatile PodListener target;

        void attach(String podId, PodListener target) {
            this.podId = podId;
            this.target = target;
        }

        @Override
        public void line(String ignored, boolean stderr, String line) {
            PodListener t = target;
            if (t != null) {
                t.line(podId, stderr, line);
            }
        }
    }
}
