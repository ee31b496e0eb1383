package dev.nest.spi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Reads what pods use from Linux's {@code /proc} and cgroup files, for drivers' {@link SandboxDriver#usage}.
 *
 * <p>Container pods have a cgroup of their own: {@link #cgroupOf} resolves it once from the pod's main host pid
 * ({@code /proc/<pid>/cgroup}), picking cgroup v2 when the root is the unified hierarchy (it holds
 * {@code cgroup.controllers}) and v1 otherwise; {@link #read} then reads two or three small files a time:
 * <ul>
 *   <li>v1: {@code cpuacct/<path>/cpuacct.usage} (ns), {@code memory/<path>/memory.usage_in_bytes} minus
 *       {@code total_inactive_file} of {@code memory.stat}</li>
 *   <li>v2: {@code usage_usec} of {@code <path>/cpu.stat}, {@code <path>/memory.current} minus
 *       {@code inactive_file} of {@code memory.stat}</li>
 * </ul>
 * Process pods share the node's cgroup, so {@link #processes} sums {@code utime + stime} of {@code /proc/<pid>/stat}
 * and {@code VmRSS} of {@code /proc/<pid>/status} over the pod's processes.
 *
 * <p>Failure: a missing or unreadable file, a process that has exited, text that does not parse: the result is
 * empty, never an exception, so that one odd pod does not stop the sampling of the others. A pod whose cgroup is
 * the root ({@code /}) is not isolated, and gets no cgroup (its numbers would be the whole machine's). Limits: CPU
 * clock ticks are taken as {@code USER_HZ} = 100, the value of every Linux architecture Nest runs on; the paths of
 * {@code /proc/<pid>/cgroup} are taken relative to the cgroup mount, which holds when Nest and its engine see the
 * same cgroup namespace.
 */
public final class UsageReader {
    /** The machine's own {@code /proc} and {@code /sys/fs/cgroup}. */
    public static final UsageReader SYSTEM = new UsageReader(Path.of("/proc"), Path.of("/sys/fs/cgroup"));
    /** Clock ticks per second of {@code /proc/<pid>/stat} times ({@code USER_HZ}). */
    static final long TICKS_PER_SECOND = 100;
    /** The most processes {@link #processTree} sums. */
    public static final int MAX_TREE = 64;

    private final Path proc;
    private final Path cgroupRoot;

    /** A reader of the given {@code /proc} and cgroup mount root (tests pass directories they wrote). */
    public UsageReader(Path proc, Path cgroupRoot) {
        this.proc = proc;
        this.cgroupRoot = cgroupRoot;
    }

    /**
     * The files one cgroup's usage is read from; resolve once per pod with {@link #cgroupOf}.
     *
     * @param version     1 or 2
     * @param cpu         {@code cpuacct.usage} (v1) or {@code cpu.stat} (v2)
     * @param memory      {@code memory.usage_in_bytes} (v1) or {@code memory.current} (v2)
     * @param memoryStat  {@code memory.stat}, for the inactive file cache
     */
    public record Cgroup(int version, Path cpu, Path memory, Path memoryStat) {
    }

    /** The cgroup of process {@code pid}, when it has its own and its files are readable. */
    public Optional<Cgroup> cgroupOf(long pid) {
        List<String> lines;
        try {
            lines = Files.readAllLines(proc.resolve(Long.toString(pid)).resolve("cgroup"));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
        if (Files.isRegularFile(cgroupRoot.resolve("cgroup.controllers"))) {
            for (String line : lines) {
                if (line.startsWith("0::")) {
                    Optional<Path> dir = under(cgroupRoot, line.substring(3));
                    if (dir.isPresent() && readable(dir.get(), "cpu.stat", "memory.current", "memory.stat")) {
                        Path d = dir.get();
                        return Optional.of(new Cgroup(2, d.resolve("cpu.stat"), d.resolve("memory.current"), d.resolve("memory.stat")));
                    }
                }
            }
            return Optional.empty();
        }
        Optional<Path> cpu = Optional.empty();
        Optional<Path> memory = Optional.empty();
        for (String line : lines) {
            String[] f = line.split(":", 3);
            if (f.length < 3) {
                continue;
            }
            List<String> controllers = List.of(f[1].split(","));
            if (controllers.contains("cpuacct") && cpu.isEmpty()) {
                for (String mount : new String[] {f[1], "cpuacct", "cpu,cpuacct", "cpuacct,cpu"}) {
                    Optional<Path> d = under(cgroupRoot.resolve(mount), f[2]);
                    if (d.isPresent() && readable(d.get(), "cpuacct.usage")) {
                        cpu = d;
                        break;
                    }
                }
            }
            if (controllers.contains("memory") && memory.isEmpty()) {
                Optional<Path> d = under(cgroupRoot.resolve("memory"), f[2]);
                if (d.isPresent() && readable(d.get(), "memory.usage_in_bytes", "memory.stat")) {
                    memory = d;
                }
            }
        }
        if (cpu.isEmpty() || memory.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Cgroup(1, cpu.get().resolve("cpuacct.usage"), memory.get().resolve("memory.usage_in_bytes"),
                memory.get().resolve("memory.stat")));
    }

    /** The usage of a cgroup now; empty when a file is gone (the pod stopped) or does not parse. */
    public Optional<PodUsage> read(Cgroup c) {
        try {
            long cpuNanos;
            if (c.version() == 2) {
                cpuNanos = Math.multiplyExact(field(Files.readAllLines(c.cpu()), "usage_usec"), 1000L);
            } else {
                cpuNanos = Long.parseLong(Files.readString(c.cpu()).trim());
            }
            long used = Long.parseLong(Files.readString(c.memory()).trim());
            long inactive = field(Files.readAllLines(c.memoryStat()), c.version() == 2 ? "inactive_file" : "total_inactive_file");
            return Optional.of(new PodUsage(cpuNanos, Math.max(0, used - Math.max(0, inactive))));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * The summed usage of process {@code pid} and its descendants: the children of each process's main thread
     * ({@code /proc/<pid>/task/<pid>/children}), at most {@value #MAX_TREE} processes. Reading only the main
     * thread's children keeps the read at two or three files per process instead of scanning every process of the
     * machine; a host that forks from another thread has those children left out.
     */
    public Optional<PodUsage> processTree(long pid) {
        List<Long> pids = new java.util.ArrayList<>();
        pids.add(pid);
        for (int i = 0; i < pids.size() && pids.size() < MAX_TREE; i++) {
            long p = pids.get(i);
            Path children = proc.resolve(Long.toString(p)).resolve("task").resolve(Long.toString(p)).resolve("children");
            try {
                for (String c : Files.readString(children).trim().split("\\s+")) {
                    if (!c.isEmpty() && pids.size() < MAX_TREE) {
                        pids.add(Long.parseLong(c));
                    }
                }
            } catch (IOException | RuntimeException e) {
                // no children file (exited, or a kernel without it): count what was found
            }
        }
        return processes(pids);
    }

    /**
     * The summed usage of a pod's processes (its host first, then any it forked); empty when the first one cannot
     * be read (it exited). Processes after the first that exited meanwhile are left out.
     */
    public Optional<PodUsage> processes(Collection<Long> pids) {
        long ticks = 0;
        long rssKb = 0;
        boolean first = true;
        for (long pid : pids) {
            Path dir = proc.resolve(Long.toString(pid));
            try {
                long t = cpuTicks(Files.readString(dir.resolve("stat")));
                long r = field(Files.readAllLines(dir.resolve("status")), "VmRSS:");
                ticks += t;
                rssKb += r;
            } catch (IOException | RuntimeException e) {
                if (first) {
                    return Optional.empty();
                }
            }
            first = false;
        }
        if (first) {
            return Optional.empty();
        }
        return Optional.of(new PodUsage(ticks * (1_000_000_000L / TICKS_PER_SECOND), rssKb * 1024));
    }

    /** {@code utime + stime} of a {@code /proc/<pid>/stat} line (fields 14 and 15; the name in parentheses may hold spaces). */
    static long cpuTicks(String stat) {
        int close = stat.lastIndexOf(')');
        if (close < 0) {
            throw new IllegalArgumentException("not a /proc/<pid>/stat line");
        }
        String[] f = stat.substring(close + 1).trim().split("\\s+");
        // f[0] is field 3 (state), so field n is f[n - 3]
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    /** The number after {@code key} on the line that starts with it ({@code memory.stat}, {@code cpu.stat}, {@code status}). */
    static long field(List<String> lines, String key) {
        for (String line : lines) {
            if (line.startsWith(key) && (key.endsWith(":") || line.length() > key.length() && Character.isWhitespace(line.charAt(key.length())))) {
                String[] f = line.substring(key.length()).trim().split("\\s+");
                return Long.parseLong(f[0]);
            }
        }
        throw new IllegalArgumentException("no '" + key + "' line");
    }

    /** {@code path} of a {@code /proc/<pid>/cgroup} line under {@code root}; empty for the root cgroup or an escape. */
    private static Optional<Path> under(Path root, String path) {
        String rel = path.startsWith("/") ? path.substring(1) : path;
        if (rel.isEmpty() || rel.contains("..")) {
            return Optional.empty();
        }
        Path dir = root.resolve(rel).normalize();
        return dir.startsWith(root) ? Optional.of(dir) : Optional.empty();
    }

    private static boolean readable(Path dir, String... files) {
        for (String f : files) {
            if (!Files.isReadable(dir.resolve(f))) {
                return false;
            }
        }
        return true;
    }
}
