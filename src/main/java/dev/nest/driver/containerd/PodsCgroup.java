package dev.nest.driver.containerd;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Gives the cgroup that holds every pod of the containerd driver ({@code /nest}, {@link OciSpec}'s
 * {@code cgroupsPath} parent) the CPU weight of the node's cores, as the kubelet does for its {@code kubepods}.
 *
 * <p>Why: the kernel's CFS schedules a cgroup as one entity. Left at the default weight (cgroup v1
 * {@code cpu.shares} 1024, v2 {@code cpu.weight} 100), all pods of the node together weigh as much as one process
 * outside them: under contention (the node's own JVM, builds, other services on the machine) every pod waits, and a
 * merged pod's first request, two thread hops inside one container, paid several scheduling delays (ADR 0025,
 * addendum: 2x the latency at a load of 16 on 2 cores). With the weight of the cores, the pods as a group are
 * entitled to what the machine has; within the group each container keeps its own quota (the pod's {@code cpus}).
 *
 * <p>Failure: a hierarchy that is missing, read-only or not ours (rootless, a container without cgroup
 * delegation) leaves the weight as it was; the driver logs one warning and carries on (pods still run). Limits: only
 * the CPU controller is touched; the weight is set when the driver starts and not watched afterwards.
 * Thread-safety: stateless; {@link #weigh} is called once per driver.
 */
final class PodsCgroup {
    private static final Logger LOG = Logger.getLogger(PodsCgroup.class.getName());
    /** cgroup v1 cpu.shares of one CPU, and the kernel's bounds. */
    static final long SHARES_PER_CPU = 1024;
    static final long MIN_SHARES = 2;
    static final long MAX_SHARES = 262_144;

    private PodsCgroup() {
    }

    /** cgroup v1 {@code cpu.shares} for {@code cores} CPUs (1024 each, within the kernel's 2..262144). */
    static long shares(int cores) {
        return Math.max(MIN_SHARES, Math.min(MAX_SHARES, SHARES_PER_CPU * Math.max(1, cores)));
    }

    /** cgroup v2 {@code cpu.weight} (1..10000) of v1 {@code shares}, by the conversion runc and the kubelet use. */
    static long weight(long shares) {
        long s = Math.max(MIN_SHARES, Math.min(MAX_SHARES, shares));
        return 1 + ((s - MIN_SHARES) * 9999) / (MAX_SHARES - MIN_SHARES);
    }

    /**
     * Sets the weight of {@code parent} (a name under the cgroup root, e.g. {@code nest}) for {@code cores} CPUs,
     * making the group if it is missing.
     *
     * @param cgroupRoot where the cgroup file systems are mounted ({@code /sys/fs/cgroup})
     * @return what was written (file and value), or empty when nothing could be (logged)
     */
    static Optional<String> weigh(Path cgroupRoot, String parent, int cores) {
        long shares = shares(cores);
        Path v1 = cgroupRoot.resolve("cpu");
        Path file;
        String value;
        if (Files.isRegularFile(v1.resolve("cpu.shares"))) {
            file = v1.resolve(parent).resolve("cpu.shares");
            value = Long.toString(shares);
        } else if (Files.isRegularFile(cgroupRoot.resolve("cgroup.controllers"))) {
            file = cgroupRoot.resolve(parent).resolve("cpu.weight");
            value = Long.toString(weight(shares));
        } else {
            LOG.warning("no cgroup CPU controller under " + cgroupRoot + ": containerd pods keep the default CPU weight");
            return Optional.empty();
        }
        try {
            Files.createDirectories(file.getParent());
            if (!Files.isRegularFile(file)) {
                throw new IOException(file + " does not exist (the CPU controller is not enabled for " + file.getParent() + ")");
            }
            String now = Files.readString(file, StandardCharsets.US_ASCII).trim();
            if (!now.equals(value)) {
                Files.writeString(file, value, StandardCharsets.US_ASCII);
            }
            return Optional.of(file + "=" + value);
        } catch (IOException | RuntimeException e) {
            LOG.warning("could not give the pods' cgroup " + file.getParent() + " the CPU weight of " + cores
                    + " cores (" + file.getFileName() + " " + value + "): " + e.getMessage()
                    + "; under CPU contention all pods together weigh as much as one process outside them");
            return Optional.empty();
        }
    }
}
