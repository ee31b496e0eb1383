package dev.nest.it;

import dev.nest.runtime.RuntimeDefinition;
import dev.nest.runtime.RuntimeRegistry;
import dev.nest.spi.DriverContext;
import dev.nest.spi.PodSpec;
import dev.nest.spi.SandboxDriver;
import dev.nest.spi.SandboxDriverProvider;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * Pods of runtime hosts made the way the node agent makes them, for the tests and benchmarks that drive a
 * {@link SandboxDriver} directly: the driver found through {@link ServiceLoader}, and a {@link PodSpec} with the
 * host's environment ({@code NEST_HOST_PORT}, {@code _ADDRESS}, {@code _SECRET}, {@code NEST_POD_ID},
 * {@code NEST_PRELOAD}), the runtime's command, image and memory, on loopback.
 */
public final class HostPods {
    private static final SecureRandom RANDOM = new SecureRandom();

    private HostPods() {
    }

    /** The driver named {@code name} on the class path, made with {@code context}; fails when there is none. */
    public static SandboxDriver driver(String name, DriverContext context) {
        for (SandboxDriverProvider p : ServiceLoader.load(SandboxDriverProvider.class)) {
            if (p.name().equals(name)) {
                return p.create(context);
            }
        }
        throw new IllegalStateException("no sandbox driver named " + name + " on the class path");
    }

    /** A fresh host secret (16 random bytes, hex), as the node agent gives each pod. */
    public static String secret() {
        byte[] s = new byte[16];
        RANDOM.nextBytes(s);
        return HexFormat.of().formatHex(s);
    }

    /**
     * The spec of pod {@code podId} running {@code rt}'s host on {@code 127.0.0.1:port}, with the runtime's memory.
     *
     * @param codeRoot the directory the pod sees read-only as its code
     * @param cpus     CPU limit, cores
     * @param pids     process limit
     * @param workDir  the pod's writable directory
     */
    public static PodSpec spec(RuntimeRegistry runtimes, RuntimeDefinition rt, String podId, int port, String secret,
                               Path codeRoot, double cpus, int pids, Map<String, String> labels, Path workDir) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("NEST_HOST_PORT", String.valueOf(port));
        env.put("NEST_HOST_ADDRESS", "127.0.0.1");
        env.put("NEST_HOST_SECRET", secret);
        env.put("NEST_POD_ID", podId);
        env.put("NEST_PRELOAD", String.join(",", rt.preload()));
        return new PodSpec(podId, rt.name(), rt.image(), runtimes.command(rt, rt.memoryMb()), env, rt.dir(), codeRoot,
                "127.0.0.1", port, rt.memoryMb() * 1024L * 1024L, cpus, pids, labels, workDir);
    }
}
