package dev.nest.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Every process the benchmark starts, so that all of them (and their children, such as the pods of a Nest server)
 * are stopped at the end, on failure and on Ctrl-C alike: {@link #close()} runs from a shutdown hook too.
 *
 * <p>Stopping sends SIGTERM, waits for the grace period, then kills; descendants seen just before are stopped the
 * same way if they outlive their parent. Thread-safe; {@link #close()} is idempotent.
 */
final class ChildProcesses implements AutoCloseable {
    private record Child(String name, Process process) {
    }

    private final List<Child> live = new ArrayList<>();
    private boolean closed;

    /** Starts {@code argv} with {@code env} added, stdout and stderr appended to {@code log}. */
    Process start(String name, List<String> argv, Map<String, String> env, Path workDir, Path log) {
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        if (workDir != null) {
            pb.directory(workDir.toFile());
        }
        pb.environment().putAll(env);
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("the benchmark is shutting down; not starting " + name);
            }
            try {
                Process p = pb.start();
                live.add(new Child(name, p));
                return p;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start " + name + " (" + String.join(" ", argv) + "): "
                        + e.getMessage(), e);
            }
        }
    }

    /** Stops {@code p} (SIGTERM, then after {@code grace} SIGKILL) and its descendants. */
    void stop(Process p, Duration grace) {
        synchronized (this) {
            live.removeIf(c -> c.process() == p);
        }
        List<ProcessHandle> descendants = p.descendants().toList();
        terminate(p.toHandle(), grace);
        for (ProcessHandle h : descendants) {
            terminate(h, Duration.ofSeconds(2));
        }
    }

    private static void terminate(ProcessHandle h, Duration grace) {
        if (!h.isAlive()) {
            return;
        }
        h.destroy();
        try {
            h.onExit().get(grace.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            h.destroyForcibly();
            try {
                h.onExit().get(5, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // nothing more to do; the process table will say
            }
        }
    }

    /** The last {@code lines} lines of a log file, for error messages. */
    static String tail(Path log, int lines) {
        try {
            if (!Files.exists(log)) {
                return "(no log)";
            }
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }

    /** Stops every process still running, newest first. */
    @Override
    public void close() {
        List<Child> toStop;
        synchronized (this) {
            closed = true;
            toStop = new ArrayList<>(live);
        }
        for (int i = toStop.size() - 1; i >= 0; i--) {
            stop(toStop.get(i).process(), Duration.ofSeconds(10));
        }
    }
}
