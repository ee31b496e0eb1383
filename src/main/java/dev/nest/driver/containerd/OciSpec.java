package dev.nest.driver.containerd;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.spi.PodSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Builds the OCI runtime spec (runtime-spec 1.0) of a pod: the hardening the docker driver applies, written
 * out for runc.
 *
 * <p>The process runs as 65534:65534 with no capabilities in any set and no-new-privileges, the image's
 * entrypoint and command (behind the init, when there is one) and working directory, the image's environment
 * overlaid with the pod's. The root filesystem is read-only; {@code /tmp} is a size-limited tmpfs; the pod's own
 * code directory (which holds the code versions loaded into it) is bind-mounted read-only at {@value #CODE_MOUNT};
 * {@code /sys} is the host's, read-only
 * (a new sysfs needs a network namespace of its own); the host's {@code /etc/hosts} and
 * {@code /etc/resolv.conf} are bound read-only. New pid, ipc and mount namespaces, and none for the network
 * and the hostname, so the host binds its loopback port on the machine's loopback, as with docker's host
 * networking. Cgroup limits: memory (and memory+swap, so no swap), a CPU quota per 100 ms period, pids; all
 * devices denied but runc's defaults (null, zero, random, tty, ...). With a shim group, the annotation
 * {@value #SHIM_GROUP} makes containerd's runc shim serve the container from the group's existing shim process
 * instead of starting one per container.
 */
final class OciSpec {
    static final String TYPE_URL = "types.containerd.io/opencontainers/runtime-spec/1/Spec";
    static final String CODE_MOUNT = "/nest/code";
    static final String INIT_MOUNT = "/nest/init";
    static final int UID = 65534;
    /** The annotation by which the runc v2 shim serves several containers from one process. */
    static final String SHIM_GROUP = "io.containerd.runc.v2.group";
    static final long CPU_PERIOD = 100_000;
    /** The cgroup under which every pod's cgroup is made ({@link PodsCgroup} gives it the node's CPU weight). */
    static final String PODS_CGROUP = "nest";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private OciSpec() {
    }

    /**
     * Adds the pod's host socket directory to a built spec: {@code socketDir} (the node directory holding the socket,
     * the container user's own) bind-mounted read-write at {@value dev.nest.spi.PodHostSockets#MOUNT}, without
     * set-uid, device or exec rights.
     */
    static void hostSocket(ObjectNode spec, Path socketDir) {
        mount((ArrayNode) spec.path("mounts"), dev.nest.spi.PodHostSockets.MOUNT, "bind", socketDir.toString(), "rbind",
                "rw", "nosuid", "nodev", "noexec");
    }

    /**
     * The spec of one pod.
     *
     * @param containerId the container's id (names its cgroup {@code /nest/<id>})
     * @param spec        the pod
     * @param codeDir     the pod's code directory on the host, mounted read-only at {@value #CODE_MOUNT}
     * @param image       the image's config
     * @param tmpfsBytes  size of {@code /tmp}
     * @param init        the init binary on the host, bind-mounted and run as PID 1, if any
     * @param shimGroup   the runc shim group (containers of one group share one shim process), if any
     */
    static ObjectNode build(String containerId, PodSpec spec, Path codeDir, ImageConfig image, long tmpfsBytes, Optional<Path> init,
                            Optional<String> shimGroup) {
        ObjectNode root = JSON.createObjectNode();
        root.put("ociVersion", "1.0.2");
        shimGroup.ifPresent(g -> root.putObject("annotations").put(SHIM_GROUP, g));

        ObjectNode process = root.putObject("process");
        process.put("terminal", false);
        ObjectNode user = process.putObject("user");
        user.put("uid", UID);
        user.put("gid", UID);
        user.putArray("additionalGids").add(UID);
        ArrayNode args = process.putArray("args");
        if (init.isPresent()) {
            args.add(INIT_MOUNT).add("--");
        }
        image.args().forEach(args::add);
        ArrayNode env = process.putArray("env");
        env(image.env(), spec.env()).forEach(env::add);
        process.put("cwd", image.workingDir());
        ObjectNode caps = process.putObject("capabilities");
        for (String set : List.of("bounding", "effective", "inheritable", "permitted", "ambient")) {
            caps.putArray(set);
        }
        // no rlimits: the process keeps the shim's (containerd's), as docker pods keep dockerd's
        process.put("noNewPrivileges", true);

        ObjectNode rootfs = root.putObject("root");
        rootfs.put("path", "rootfs");
        rootfs.put("readonly", true);

        ArrayNode mounts = root.putArray("mounts");
        mount(mounts, "/proc", "proc", "proc", "nosuid", "noexec", "nodev");
        mount(mounts, "/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k");
        mount(mounts, "/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5");
        mount(mounts, "/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k");
        mount(mounts, "/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev");
        mount(mounts, "/sys", "bind", "/sys", "rbind", "nosuid", "noexec", "nodev", "ro");
        mount(mounts, "/tmp", "tmpfs", "tmpfs", "nosuid", "nodev", "mode=1777", "size=" + tmpfsBytes);
        mount(mounts, CODE_MOUNT, "bind", codeDir.toString(), "rbind", "ro", "nosuid", "nodev");
        for (String f : List.of("/etc/hosts", "/etc/resolv.conf")) {
            if (Files.isRegularFile(Path.of(f))) {
                mount(mounts, f, "bind", f, "rbind", "ro", "nosuid", "nodev", "noexec");
            }
        }
        init.ifPresent(p -> mount(mounts, INIT_MOUNT, "bind", p.toString(), "rbind", "ro", "nosuid", "nodev"));

        ObjectNode linux = root.putObject("linux");
        ObjectNode resources = linux.putObject("resources");
        ObjectNode deny = resources.putArray("devices").addObject();
        deny.put("allow", false);
        deny.put("access", "rwm");
        ObjectNode memory = resources.putObject("memory");
        memory.put("limit", spec.memoryBytes());
        memory.put("swap", spec.memoryBytes());
        if (spec.cpus() > 0) {
            ObjectNode cpu = resources.putObject("cpu");
            cpu.put("quota", Math.max(1000, Math.round(spec.cpus() * CPU_PERIOD)));
            cpu.put("period", CPU_PERIOD);
        }
        if (spec.pids() > 0) {
            resources.putObject("pids").put("limit", spec.pids());
        }
        linux.put("cgroupsPath", "/" + PODS_CGROUP + "/" + containerId);
        ArrayNode namespaces = linux.putArray("namespaces");
        for (String ns : List.of("pid", "ipc", "mount")) {
            namespaces.addObject().put("type", ns);
        }
        ArrayNode masked = linux.putArray("maskedPaths");
        for (String p : List.of("/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
                "/sys/devices/virtual/powercap")) {
            masked.add(p);
        }
        ArrayNode readonly = linux.putArray("readonlyPaths");
        for (String p : List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger")) {
            readonly.add(p);
        }
        SeccompProfile.write(linux, System.getProperty("os.arch"));
        return root;
    }

    static byte[] bytes(ObjectNode spec) {
        try {
            return JSON.writeValueAsBytes(spec);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot write an OCI spec", e);
        }
    }

    /** The image's environment with the pod's on top (same key: the pod wins); a PATH when neither has one. */
    static List<String> env(List<String> image, Map<String, String> pod) {
        Map<String, String> merged = new LinkedHashMap<>();
        for (String kv : image) {
            int eq = kv.indexOf('=');
            merged.put(eq < 0 ? kv : kv.substring(0, eq), kv);
        }
        pod.forEach((k, v) -> merged.put(k, k + "=" + v));
        List<String> out = new ArrayList<>(merged.values());
        if (!merged.containsKey("PATH")) {
            out.addFirst(DEFAULT_PATH);
        }
        return out;
    }

    private static void mount(ArrayNode mounts, String destination, String type, String source, String... options) {
        ObjectNode m = mounts.addObject();
        m.put("destination", destination);
        m.put("type", type);
        m.put("source", source);
        ArrayNode o = m.putArray("options");
        for (String opt : options) {
            o.add(opt);
        }
    }
}
