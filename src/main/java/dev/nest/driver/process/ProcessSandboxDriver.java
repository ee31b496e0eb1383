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
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Runs each pod as a child process: the runtime's launch command ({@link HostLaunch}), in its own session, with a
 * minimal environment, working directory = the pod's scratch dir, and the pod's secret handed over on the host's
 * standard input (so the host also sees Nest's death as the end of that input and exits).
 *
 * <p>Isolation ({@link ProcessDriverSettings}): when Nest runs as root, each host runs as its own unprivileged uid
 * ({@link UidSlots}) with no capabilities, and the data directory lets it reach only its own scratch directory and
 * the code versions loaded into it ({@link PodFiles}; {@link #pathInPod} creates a pod's view of a code version, as
 * the node agent asks for the path just before it loads the version). When Nest does not run as root nothing is
 * isolated; the driver says so at start and in {@link #health()}. There are no resource limits beyond the host's
 * heap; use {@code docker} or {@code containerd} for those.
 *
 * <p>Every started pod writes a {@link PidFile} that only Nest can write, so after a crash of Nest the next start
 * stops the hosts it left behind ({@link #removeOrphans}), and only those: a pid is signalled only when its start
 * time, uid and command line still match the recording.
 *
 * <p>Thread-safe: the node agent starts and stops pods from many threads at once.
 */
final class ProcessSandboxDriver implements SandboxDriver {
    private static final Logger LOG = Logger.getLogger(ProcessSandboxDriver.class.getName());
    private static final List<String> TOOL_DIRS = List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin");
    private static final String NOT_ISOLATED = "functions are NOT isolated: Nest does not run as root, so every host "
            + "runs as Nest's own user and can read Nest's data directory and the other functions' code, and signal "
            + "the other hosts and Nest itself; run Nest as root (hosts then run as their own unprivileged uids) or use "
            + "the docker or containerd driver (docs/SECURITY.md)";

    private final Path podsDir;
    /** Short paths to sockets whose own path is too long for sun_path (ADR 0032). */
    private final dev.nest.spi.SocketLinks links = dev.nest.spi.SocketLinks.system();
    private volatile boolean toldNoSocket;
    private final ProcessDriverSettings settings;
    private final ProcessTable procs;
    private final PodFiles files;
    private final Optional<UidSlots> slots;
    private final Optional<HostLaunch.PodUser> sharedUser;
    private final Optional<Path> setsid;
    private final Optional<Path> setpriv;
    private final Map<String, String> inheritedEnv;
    private final Map<String, ProcessPod> pods = new ConcurrentHashMap<>();
    /** Who each running pod runs as (when not as Nest's user), for code views and the release of its uid. */
    private final Map<String, Identity> identities = new ConcurrentHashMap<>();
    /** Readable copies of the files of launch commands that pods could not read otherwise. */
    private final RuntimeCopies copies;
    /** Launch commands (after copies) already checked for files a pod could not read (one per runtime and heap). */
    private final Map<List<String>, Optional<Path>> readableCommands = new ConcurrentHashMap<>();

    /** A running pod's user, and the uid slot it holds (none when pods share a user or Nest is not root). */
    private record Identity(HostLaunch.PodUser user, Optional<UidSlots.Slot> slot) {
    }

    ProcessSandboxDriver(DriverContext context) {
        this(context, ProcFs.SYSTEM, System.getenv(), tool("setsid"), tool("setpriv"), Path.of("/etc/passwd"));
    }

    ProcessSandboxDriver(DriverContext context, ProcessTable procs, Map<String, String> inheritedEnv, Optional<Path> setsid,
                         Optional<Path> setpriv, Path passwd) {
        this(context, procs, inheritedEnv, setsid, setpriv, passwd, RuntimeCopies.DEFAULT_ROOT);
    }

    ProcessSandboxDriver(DriverContext context, ProcessTable procs, Map<String, String> inheritedEnv, Optional<Path> setsid,
                         Optional<Path> setpriv, Path passwd, Path copiesRoot) {
        this.copies = new RuntimeCopies(copiesRoot);
        this.procs = procs;
        this.inheritedEnv = Map.copyOf(inheritedEnv);
        this.setsid = setsid;
        this.setpriv = setpriv;
        this.settings = ProcessDriverSettings.from(context.options(), procs.selfUid() == 0);
        this.podsDir = PodFiles.podsRoot(context.dataDir(), settings.isolation() != ProcessDriverSettings.Isolation.NONE,
                PodFiles.FALLBACK_ROOT);
        this.files = new PodFiles(context.dataDir().toAbsolutePath().normalize(), podsDir);
        if (!podsDir.startsWith(context.dataDir().toAbsolutePath().normalize())) {
            LOG.info("process driver: a parent of " + context.dataDir() + " does not let other users through, so pods "
                    + "keep their directories in " + podsDir);
        }
        if (settings.isolation() != ProcessDriverSettings.Isolation.NONE && setpriv.isEmpty()) {
            throw new SandboxException("the process driver runs hosts as unprivileged users with setpriv, which is not "
                    + "installed (looked in " + TOOL_DIRS + "); install util-linux");
        }
        this.slots = settings.isolation() == ProcessDriverSettings.Isolation.POD_UIDS
                ? Optional.of(new UidSlots(settings.uidBase(), settings.uidCount(), settings.uidLocks(), procs))
                : Optional.empty();
        this.sharedUser = settings.isolation() == ProcessDriverSettings.Isolation.SHARED_USER
                ? Optional.of(Accounts.resolve(settings.user(), passwd))
                : Optional.empty();
        try {
            if (settings.isolation() == ProcessDriverSettings.Isolation.NONE) {
                files.closeDataDir();
                LOG.warning("process driver: " + NOT_ISOLATED);
            } else {
                files.protectDataDir();
            }
        } catch (IOException e) {
            throw new SandboxException("cannot set the permissions of " + context.dataDir() + ": " + e.getMessage(), e);
        }
    }

    private static Optional<Path> tool(String name) {
        return TOOL_DIRS.stream().map(d -> Path.of(d, name)).filter(Files::isExecutable).findFirst();
    }

    @Override
    public String name() {
        return "process";
    }

    @Override
    public Pod start(PodSpec requested, PodListener listener) {
        PodSpec spec = settings.isolation() == ProcessDriverSettings.Isolation.NONE ? requested : readableByPods(requested);
        Optional<UidSlots.Slot> slot = slots.map(UidSlots::acquire);
        Optional<HostLaunch.PodUser> user = slot.map(s -> new HostLaunch.PodUser(s.uid(), s.uid())).or(() -> sharedUser);
        // an isolated pod's scratch dir is always inside its own pod directory, which it can reach
        Path workDir = user.isPresent() ? files.podDir(spec.podId()).resolve("work") : spec.workDir();
        Optional<HostLaunch.Socket> socket = Optional.empty();
        HostLaunch launch;
        Process p;
        try {
            if (user.isPresent()) {
                files.protectDataDir();
                files.preparePod(spec.podId(), workDir, user.get());
            } else {
                Files.createDirectories(workDir);
            }
            // the scratch dir is the pod's alone (0700, its uid), so its socket is too (ADR 0032); a path too long
            // for sun_path is bound relative to it and reached through a short link (SocketLinks)
            if (settings.hostSocket()) {
                socket = HostLaunch.socketIn(workDir, links);
                if (socket.isEmpty() && !toldNoSocket) {
                    toldNoSocket = true;
                    LOG.info("process driver: pods are called over TCP only, without a host socket: "
                            + links.lastRefusal() + " (said once)");
                }
            }
            launch = HostLaunch.of(spec, workDir, user, setsid, setpriv, inheritedEnv);
            ProcessBuilder pb = new ProcessBuilder(launch.argv());
            pb.environment().clear();
            pb.environment().putAll(launch.env());
            if (socket.isPresent()) {
                pb.environment().put(HostLaunch.SOCKET_VARIABLE, socket.get().bound());
            }
            pb.directory(workDir.toFile());
            p = pb.start();
        } catch (IOException | RuntimeException e) {
            slot.ifPresent(UidSlots.Slot::close);
            throw new SandboxException("cannot start the " + spec.runtime() + " host with " + String.join(" ", spec.command())
                    + ": " + e.getMessage() + " (is the runtime's program installed? see distribution/setup.sh)", e);
        }
        user.ifPresent(u -> identities.put(spec.podId(), new Identity(u, slot)));
        handOver(spec.podId(), p, launch.secret());
        int uid = user.map(HostLaunch.PodUser::uid).orElseGet(procs::selfUid);
        Optional<ProcessRecord> started = procs.read(p.pid());
        try {
            if (started.isPresent()) {
                files.writePidFile(spec.podId(), PidFile.of(started.get(), launch.argv(), launch.hostStart(), uid).format());
            }
        } catch (IOException e) {
            LOG.warning("cannot record pid of pod " + spec.podId() + ": " + e.getMessage());
        }
        ProcessPod pod = new ProcessPod(spec.podId(), p, files.podDir(spec.podId()),
                socket.map(HostLaunch.Socket::reached));
        pods.put(spec.podId(), pod);
        pump(spec.podId(), p.getInputStream(), false, listener);
        pump(spec.podId(), p.getErrorStream(), true, listener);
        p.onExit().thenRun(() -> {
            pods.remove(spec.podId());
            Identity gone = identities.remove(spec.podId());
            if (gone != null) {
                gone.slot().ifPresent(UidSlots.Slot::close);
            }
            pod.exited.complete(p.exitValue());
        });
        return pod;
    }

    /**
     * {@code spec} with a launch command whose files a pod uid can read: files under a directory others cannot
     * pass (Nest under {@code /root} or a private temporary directory) are replaced by readable copies
     * ({@link RuntimeCopies}); fails when a copy cannot be made or the program itself is unreadable.
     */
    private PodSpec readableByPods(PodSpec spec) {
        List<String> command;
        try {
            command = copies.readable(spec.command());
        } catch (IOException | RuntimeException e) {
            Optional<Path> unreadable = PodFiles.unreadableByOthers(spec.command());
            throw new SandboxException("cannot start the " + spec.runtime() + " host: it runs as an unprivileged user, "
                    + "which cannot read " + unreadable.map(Path::toString).orElse("a file of " + spec.command())
                    + ", and a readable copy cannot be made (" + e.getMessage() + "); make it readable by others and "
                    + "every parent directory passable (chmod o+rx), e.g. install Nest under /opt as "
                    + "distribution/setup.sh does", e);
        }
        Optional<Path> unreadable = readableCommands.computeIfAbsent(command, PodFiles::unreadableByOthers);
        if (unreadable.isPresent()) {
            readableCommands.remove(command); // checked again once fixed
            throw new SandboxException("cannot start the " + spec.runtime() + " host: it runs as an unprivileged user, "
                    + "which cannot read " + unreadable.get() + "; make it readable by others and every parent directory "
                    + "passable (chmod o+rx), e.g. install Nest under /opt as distribution/setup.sh does");
        }
        if (command.equals(spec.command())) {
            return spec;
        }
        return new PodSpec(spec.podId(), spec.runtime(), spec.image(), command, spec.env(), spec.runtimeDir(),
                spec.codeRoot(), spec.address(), spec.port(), spec.memoryBytes(), spec.cpus(), spec.pids(), spec.labels(),
                spec.workDir());
    }

    /**
     * Writes the secret as the first line of the host's standard input and keeps the pipe open: the host reads
     * the secret from it and exits when it ends, that is when Nest is gone.
     */
    private static void handOver(String podId, Process p, Optional<String> secret) {
        if (secret.isEmpty()) {
            return;
        }
        try {
            OutputStream in = p.getOutputStream();
            in.write((secret.get() + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
        } catch (IOException e) {
            // the host exited at once; its exit (and output) is reported through onExit
            LOG.fine("cannot hand the secret to pod " + podId + ": " + e.getMessage());
        }
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
        String n = pods.size() + " host processes";
        return switch (settings.isolation()) {
            case POD_UIDS -> DriverHealth.ok(n + ", each as its own unprivileged uid (from " + settings.uidBase() + ")");
            case SHARED_USER -> DriverHealth.ok(n + " as user " + settings.user() + " (isolated from Nest, not from "
                    + "each other: set " + ProcessDriverSettings.PREFIX + "uid-base for one uid per pod)");
            case NONE -> DriverHealth.ok(n + "; WARNING: " + NOT_ISOLATED);
        };
    }

    /**
     * Stops the hosts that an earlier run left behind: each pod directory's recorded process, if it is still that
     * process ({@link PidFile#matches}); then, with one uid per pod, everything that runs as a pod uid that no live
     * Nest holds. Returns how many recorded hosts were stopped.
     */
    @Override
    public int removeOrphans(String nodeId) {
        int removed = 0;
        if (Files.isDirectory(podsDir)) {
            try (Stream<Path> s = Files.list(podsDir)) {
                for (Path dir : s.toList()) {
                    if (pods.containsKey(dir.getFileName().toString())) {
                        continue;
                    }
                    Optional<ProcessRecord> live = recorded(dir.resolve("pid"));
                    if (live.isPresent()) {
                        ProcessHandle.of(live.get().pid()).ifPresent(h -> h.descendants().forEach(d -> procs.kill(d.pid())));
                        procs.kill(live.get().pid());
                        removed++;
                    }
                    deleteQuietly(dir);
                }
            } catch (IOException e) {
                LOG.warning("cannot scan " + podsDir + " for orphaned hosts: " + e.getMessage());
            }
        }
        int uids = slots.map(UidSlots::sweep).orElse(0);
        if (uids > 0) {
            LOG.info("process driver: stopped the processes of " + uids + " pod uids that no running Nest holds");
        }
        return removed;
    }

    /** The live process a pid file recorded, if the file is valid and the process is still that one. */
    private Optional<ProcessRecord> recorded(Path pidFile) {
        try {
            Optional<PidFile> f = PidFile.parse(Files.readString(pidFile));
            return f.flatMap(r -> procs.read(r.pid()).filter(r::matches));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    static void deleteQuietly(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | java.io.UncheckedIOException ignored) {
            // left for the next scan (or removed by a concurrent stop)
        }
    }

    /**
     * Where the pod sees {@code hostPath}: the path itself when pods run as Nest's user; otherwise the pod's own
     * read-only view of that code version, created here on first use ({@link PodFiles#codeView}).
     *
     * @throws SandboxException when the pod is not running or the view cannot be created
     */
    @Override
    public String pathInPod(PodSpec spec, Path hostPath) {
        if (settings.isolation() == ProcessDriverSettings.Isolation.NONE) {
            return hostPath.toAbsolutePath().toString();
        }
        Identity id = identities.get(spec.podId());
        if (id == null) {
            throw new SandboxException("pod " + spec.podId() + " is not running on this node");
        }
        try {
            return files.codeView(spec.podId(), hostPath, id.user()).toString();
        } catch (IOException e) {
            throw new SandboxException("cannot give pod " + spec.podId() + " read access to " + hostPath + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        pods.values().parallelStream().forEach(p -> p.stop(Duration.ofSeconds(2)));
    }

    private static final class ProcessPod implements Pod {
        private final String id;
        private final Process process;
        private final Path dir;
        private final Optional<Path> socket;
        final CompletableFuture<Integer> exited = new CompletableFuture<>();

        ProcessPod(String id, Process process, Path dir, Optional<Path> socket) {
            this.id = id;
            this.process = process;
            this.dir = dir;
            this.socket = socket;
        }

        @Override
        public Optional<Path> hostSocket() {
            return socket;
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
