package dev.nest.driver.process;

import dev.nest.spi.DriverContext;
import dev.nest.spi.DriverHealth;
import dev.nest.spi.Pod;
import dev.nest.spi.PodListener;
import dev.nest.spi.PodSpec;
import dev.nest.spi.PodStop;
import dev.nest.spi.PodUsage;
import dev.nest.spi.SandboxDriver;
import dev.nest.spi.SandboxException;
import dev.nest.spi.UsageReader;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Runs each pod as a child process: the runtime's launch command with the contract's environment and a
 * minimal inherited environment ({@code PATH}, {@code LANG}), working directory = the pod's scratch dir.
 *
 * <p>This driver gives no resource isolation beyond the host's heap limit; use {@code docker} or
 * {@code containerd} for hardened pods. Every started pod writes {@code <data>/pods/<id>/pid}, so after a
 * crash of Nest the next start finds and stops the hosts it left behind ({@link #removeOrphans}).
 */
final class ProcessSandboxDriver implements SandboxDriver {
    private static final Logger LOG = Logger.getLogger(ProcessSandboxDriver.class.getName());

    private final Path podsDir;
    private final Map<String, ProcessPod> pods = new ConcurrentHashMap<>();

    ProcessSandboxDriver(DriverContext context) {
        this.podsDir = context.dataDir().resolve("pods");
    }

    @Override
    public String name() {
        return "process";
    }

    @Override
    public Pod start(PodSpec spec, PodListener listener) {
        ProcessBuilder pb = new ProcessBuilder(spec.command());
        Map<String, String> env = pb.environment();
        String path = env.getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
        String lang = env.getOrDefault("LANG", "C.UTF-8");
        env.clear();
        env.put("PATH", path);
        env.put("LANG", lang);
        env.put("HOME", spec.workDir().toString());
        env.put("TMPDIR", spec.workDir().toString());
        env.putAll(spec.env());
        pb.directory(spec.workDir().toFile());
        Process p;
        try {
            Files.createDirectories(spec.workDir());
            p = pb.start();
        } catch (IOException e) {
            throw new SandboxException("cannot start the " + spec.runtime() + " host with " + String.join(" ", spec.command())
                    + ": " + e.getMessage() + " (is the runtime's program installed? see distribution/setup.sh)", e);
        }
        try {
            Files.createDirectories(podsDir.resolve(spec.podId()));
            Files.writeString(podsDir.resolve(spec.podId()).resolve("pid"), p.pid() + " "
                    + p.info().startInstant().map(Object::toString).orElse(""));
        } catch (IOException e) {
            LOG.warning("cannot record pid of pod " + spec.podId() + ": " + e.getMessage());
        }
        ProcessPod pod = new ProcessPod(spec.podId(), p, podsDir.resolve(spec.podId()));
        pods.put(spec.podId(), pod);
        pump(spec.podId(), p.getInputStream(), false, listener);
        pump(spec.podId(), p.getErrorStream(), true, listener);
        p.onExit().thenRun(() -> {
            pods.remove(spec.podId());
            pod.exited.complete(p.exitValue());
        });
        return pod;
    }

    private static void pump(String podId, InputStream stream, boolean stderr, PodListener listener) {
        // Platform threads: a virtual thread blocked on a pipe read holds its carrier, and a few idle pods
        // would starve every other virtual thread of the node.
        Thread.ofPlatform().daemon().stackSize(256 * 1024).name("pod-" + podId + (stderr ? "-err" : "-out")).start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    listener.line(podId, stderr, line);
                }
            } catch (IOException ignored) {
                // the process went away; its exit is reported through onExit
            }
        });
    }

    /** The host process and the processes it forked, from {@code /proc} (process pods share the node's cgroup). */
    @Override
    public Optional<PodUsage> usage(Pod pod) {
        if (!(pod instanceof ProcessPod p) || !p.process.isAlive()) {
            return Optional.empty();
        }
        return UsageReader.SYSTEM.processTree(p.process.pid());
    }

    @Override
    public DriverHealth health() {
        return DriverHealth.ok(pods.size() + " host processes");
    }

    @Override
    public int removeOrphans(String nodeId) {
        if (!Files.isDirectory(podsDir)) {
            return 0;
        }
        int removed = 0;
        try (Stream<Path> s = Files.list(podsDir)) {
            for (Path dir : s.toList()) {
                if (pods.containsKey(dir.getFileName().toString())) {
                    continue;
                }
                Optional<ProcessHandle> h = recorded(dir.resolve("pid"));
                if (h.isPresent() && h.get().isAlive()) {
                    h.get().descendants().forEach(ProcessHandle::destroyForcibly);
                    h.get().destroyForcibly();
                    removed++;
                }
                deleteQuietly(dir);
            }
        } catch (IOException e) {
            LOG.warning("cannot scan " + podsDir + " for orphaned hosts: " + e.getMessage());
        }
        return removed;
    }

    /** The process recorded in a pid file, if it is still the same process (same start time). */
    private static Optional<ProcessHandle> recorded(Path pidFile) {
        try {
            String[] parts = Files.readString(pidFile).trim().split(" ", 2);
            Optional<ProcessHandle> h = ProcessHandle.of(Long.parseLong(parts[0]));
            if (h.isPresent() && parts.length == 2) {
                String started = h.get().info().startInstant().map(Object::toString).orElse("");
                if (!started.equals(parts[1])) {
                    return Optional.empty();
                }
            }
            return h;
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | java.io.UncheckedIOException ignored) {
            // left for the next scan (or removed by a concurrent stop)
        }
    }

    @Override
    public String pathInPod(PodSpec spec, Path hostPath) {
        return hostPath.toAbsolutePath().toString();
    }

    @Override
    public void close() {
        pods.values().parallelStream().forEach(p -> p.stop(Duration.ofSeconds(2)));
    }

    private static final class ProcessPod implements Pod {
        private final String id;
        private final Process process;
        private final Path dir;
        final CompletableFuture<Integer> exited = new CompletableFuture<>();

        ProcessPod(String id, Process process, Path dir) {
            this.id = id;
            this.process = process;
            this.dir = dir;
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public CompletableFuture<Integer> exited() {
            return exited;
        }

        @Override
        public void stop(Duration grace) {
            PodStop.run(process.onExit(), grace, Duration.ofSeconds(5), () -> {
                process.descendants().forEach(ProcessHandle::destroy);
                process.destroy();
            }, () -> {
                if (!process.isAlive()) {
                    return false;
                }
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                return true;
            });
            if (!process.isAlive()) {
                // the exit callback runs on another thread; a stop returns with the pod's end already reported
                exited.complete(process.exitValue());
            }
            deleteQuietly(dir);
        }

        @Override
        public String describe() {
            return "pid " + process.pid();
        }
    }
}
