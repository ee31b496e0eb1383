package dev.nest.driver.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.nest.spi.DriverContext;
import dev.nest.spi.DriverHealth;
import dev.nest.spi.Pod;
import dev.nest.spi.PodSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessSandboxDriverTest {
    private static final Optional<Path> SETSID = Optional.of(Path.of("/usr/bin/setsid"));
    private static final Optional<Path> SETPRIV = Optional.of(Path.of("/usr/bin/setpriv"));
    private static final List<String> HOST = List.of("/usr/bin/node", "/opt/nest/host.js");

    @TempDir
    Path tmp;

    private ProcessSandboxDriver driver(FakeProcessTable procs, Map<String, String> options) {
        return new ProcessSandboxDriver(new DriverContext("n1", tmp.resolve("data"), options), procs, Map.of(), SETSID,
                SETPRIV, Path.of("/etc/passwd"));
    }

    private void pidFile(String pod, String text) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("data/pods").resolve(pod));
        Files.writeString(dir.resolve("pid"), text);
    }

    @Test
    void orphansAreSignalledOnlyWhenTheRecordStillMatchesTheLiveProcess() throws Exception {
        FakeProcessTable procs = new FakeProcessTable(1000);
        List<String> argv = List.of("/usr/bin/setsid", "/usr/bin/node", "/opt/nest/host.js");
        ProcessRecord orphan = procs.add(5_000_001, 111, 1000, "/usr/bin/node", "/opt/nest/host.js");
        pidFile("orphan", PidFile.of(orphan, argv, 1, 1000).format());
        procs.add(5_000_002, 222, 0, "/usr/sbin/sshd", "-D");
        pidFile("forged-pid", new PidFile(5_000_002, 222, 1000, argv, 1).format());
        procs.add(5_000_003, 333, 1000, "/usr/bin/node", "/opt/nest/host.js");
        pidFile("pid-reused", new PidFile(5_000_003, 300, 1000, argv, 1).format());
        pidFile("old-format", "5000003 2026-12-06T10:00:00Z");
        pidFile("gone", new PidFile(5_000_009, 1, 1000, argv, 1).format());

        assertEquals(1, driver(procs, Map.of()).removeOrphans("n1"));
        assertEquals(List.of(5_000_001L), procs.killed);
        try (var s = Files.list(tmp.resolve("data/pods"))) {
            assertEquals(List.of(), s.toList(), "every pod directory of the earlier run is removed");
        }
    }

    @Test
    void asNonRootTheDriverSaysThatNothingIsIsolated() throws Exception {
        ProcessSandboxDriver d = driver(new FakeProcessTable(1000), Map.of());
        DriverHealth h = d.health();
        assertTrue(h.healthy());
        assertTrue(h.detail().contains("NOT isolated"), h.detail());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp.resolve("data"))));
        assertEquals("/x/y", d.pathInPod(null, Path.of("/x/y")));
    }

    @Test
    void asRootTheDataDirectoryLetsPodsThroughToTheirOwnDirectoryOnly() throws Exception {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
        Path data = Files.createDirectories(tmp.resolve("data"));
        Files.writeString(data.resolve("nest.mv.db"), "db");
        Files.setPosixFilePermissions(data.resolve("nest.mv.db"), PosixFilePermissions.fromString("rw-r--r--"));
        Files.createDirectories(data.resolve("artifacts/code"));
        Files.setPosixFilePermissions(data.resolve("artifacts"), PosixFilePermissions.fromString("rwxr-xr-x"));
        ProcessSandboxDriver d = driver(new FakeProcessTable(0), Map.of("uid-locks", tmp.resolve("locks").toString()));
        assertEquals("rwx--x--x", PosixFilePermissions.toString(Files.getPosixFilePermissions(data)));
        assertEquals("rwx--x--x", PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("pods"))));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("nest.mv.db"))));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("artifacts"))));
        assertTrue(d.health().detail().contains("own unprivileged uid"), d.health().detail());
    }

    @Test
    void podsLiveOutsideTheDataDirectoryWhenAParentKeepsOtherUsersOut() throws Exception {
        Path open = Files.createDirectories(tmp.resolve("open"));
        Path closed = Files.createDirectories(tmp.resolve("closed/deeper"));
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(tmp.resolve("closed"), PosixFilePermissions.fromString("rwx------"));
        Path fallback = Path.of("/var/tmp/nest-pods");
        assertEquals(open.resolve("data/pods"), PodFiles.podsRoot(open.resolve("data"), true, fallback));
        Path elsewhere = PodFiles.podsRoot(closed.resolve("data"), true, fallback);
        assertEquals(fallback, elsewhere.getParent());
        assertEquals(elsewhere, PodFiles.podsRoot(closed.resolve("data"), true, fallback), "the same data, the same place");
        assertNotEquals(elsewhere, PodFiles.podsRoot(closed.resolve("other"), true, fallback));
        assertEquals(closed.resolve("data/pods"), PodFiles.podsRoot(closed.resolve("data"), false, fallback),
                "pods that run as Nest's user need no way through");
    }

    @Test
    void filesOfTheHostCommandThatOtherUsersCannotReadAreFound() throws Exception {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
        Path open = Files.writeString(tmp.resolve("host.js"), "");
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rw-r--r--"));
        Path secret = Files.writeString(tmp.resolve("private.jar"), "");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        Path hidden = Files.createDirectories(tmp.resolve("home/nest"));
        Files.setPosixFilePermissions(tmp.resolve("home"), PosixFilePermissions.fromString("rwx------"));
        Path inHidden = Files.writeString(hidden.resolve("host.js"), "");
        assertEquals(Optional.empty(), PodFiles.unreadableByOthers(List.of("/bin/sh", "--flag=1", open.toString(), "/no/such/file")));
        assertEquals(Optional.of(secret), PodFiles.unreadableByOthers(List.of("/bin/sh", "-cp", "/bin:" + secret, "Main")));
        assertEquals(Optional.of(inHidden), PodFiles.unreadableByOthers(List.of("/bin/sh", inHidden.toString())));
        assertEquals(Optional.of(hidden), PodFiles.unreadableByOthers(List.of("/usr/bin/java", "-cp", hidden.toString(), "Main")));
        assertEquals(Optional.empty(), PodFiles.unreadableByOthers(List.of("/bin/sh", "-c", "script", hidden.toString())),
                "a directory argument is the host's business");
    }

    /** Real processes as Nest's own user (the uid is only reported as non-root). */
    @Test
    void withoutRootAHostStillGetsItsSecretOnStdinRunsInItsOwnSessionAndIsRecordedExactly() throws Exception {
        ProcessTable notRoot = new ProcessTable() {
            @Override
            public Optional<ProcessRecord> read(long pid) {
                return ProcFs.SYSTEM.read(pid);
            }

            @Override
            public Map<Integer, List<Long>> byUid(int from, int count) {
                return ProcFs.SYSTEM.byUid(from, count);
            }

            @Override
            public void kill(long pid) {
                ProcFs.SYSTEM.kill(pid);
            }

            @Override
            public int selfUid() {
                return 1000;
            }
        };
        ProcessSandboxDriver d = new ProcessSandboxDriver(new DriverContext("n1", tmp.resolve("data"), Map.of()), notRoot,
                System.getenv(), SETSID.filter(Files::isExecutable), SETPRIV, Path.of("/etc/passwd"));
        String script = "read s; echo \"secret:$s\"; echo \"session:$(cut -d' ' -f6 /proc/$$/stat) pid:$$\"; "
                + "env | grep -c NEST_HOST_SECRET=; echo ready; cat >/dev/null";
        List<String> lines = new CopyOnWriteArrayList<>();
        java.util.concurrent.CountDownLatch ready = new java.util.concurrent.CountDownLatch(1);
        PodSpec spec = new PodSpec("p2", "sh", "", List.of("/bin/sh", "-c", script), Map.of("NEST_HOST_SECRET", "s3cret"),
                tmp, tmp, "127.0.0.1", 1, 1 << 26, 1, 64, Map.of(), tmp.resolve("work-p2"));
        Pod pod = d.start(spec, (id, err, line) -> {
            lines.add(line);
            if (line.equals("ready")) {
                ready.countDown();
            }
        });
        try {
            assertTrue(ready.await(10, TimeUnit.SECONDS), "the pod's script ran: " + lines);
            long pid = Long.parseLong(pod.describe().substring(4).split("\\s+")[0]);
            assertEquals("secret:s3cret", lines.get(0));
            if (SETSID.filter(Files::isExecutable).isPresent()) {
                assertEquals("session:" + pid + " pid:" + pid, lines.get(1), "the host leads its own session");
            }
            assertEquals("0", lines.get(2), "no NEST_HOST_SECRET in the environment");
            PidFile recorded = PidFile.parse(Files.readString(tmp.resolve("data/pods/p2/pid"))).orElseThrow();
            ProcessRecord live = ProcFs.SYSTEM.read(pid).orElseThrow();
            assertEquals(1000, recorded.uid(), "Nest's uid (as the fake reports it)");
            assertTrue(new PidFile(recorded.pid(), recorded.startTicks(), live.uid(), recorded.argv(), recorded.hostStart())
                    .matches(live), "start time and command line match the live host: " + recorded + " / " + live);
            assertTrue(d.health().detail().contains("NOT isolated"), d.health().detail());
        } finally {
            pod.stop(Duration.ofSeconds(2));
            d.close();
        }
    }

    /** Real processes: runs only as root (it starts a host as another uid). */
    @Test
    void asRootAHostRunsAsItsOwnUidGetsItsSecretOnStdinAndSeesOnlyItsCode() throws Exception {
        assumeTrue(ProcFs.SYSTEM.selfUid() == 0, "needs root");
        // as on a server: the data directory's parent lets everyone through
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
        Path data = tmp.resolve("data");
        Path code = Files.createDirectories(data.resolve("artifacts/code/sha256-abc"));
        Files.writeString(code.resolve("index.js"), "module.exports = 1;\n");
        Files.setPosixFilePermissions(code.resolve("index.js"), PosixFilePermissions.fromString("r--r--r--"));
        ProcessSandboxDriver d = new ProcessSandboxDriver(new DriverContext("n1", data, Map.of("uid-base", "1900100000",
                "uid-locks", tmp.resolve("locks").toString())), ProcFs.SYSTEM, System.getenv(), SETSID, SETPRIV, Path.of("/etc/passwd"));
        String script = "id -u; read s; echo \"secret:$s\"; env | grep -c NEST_HOST_SECRET=; "
                + "cat \"$0/pods/$1/pid\" >/dev/null 2>&1 || echo pid-file-unreadable; "
                + "ls \"$0\" >/dev/null 2>&1 || echo data-unlistable; "
                + "cat \"$0/artifacts/code/sha256-abc/index.js\" >/dev/null 2>&1 || echo code-unreadable; "
                + "echo > \"$HOME/scratch\" && echo scratch-writable; echo ready; cat >/dev/null; echo stdin-ended";
        List<String> lines = new CopyOnWriteArrayList<>();
        java.util.concurrent.CountDownLatch ready = new java.util.concurrent.CountDownLatch(1);
        PodSpec spec = new PodSpec("p1", "sh", "", List.of("/bin/sh", "-c", script, data.toString(), "p1"),
                Map.of("NEST_HOST_SECRET", "s3cret"), tmp, data.resolve("artifacts/code"), "127.0.0.1", 1, 1 << 26, 1, 64,
                Map.of(), tmp.resolve("ignored-when-isolated"));
        Pod pod = d.start(spec, (id, err, line) -> {
            lines.add(line);
            if (line.equals("ready")) {
                ready.countDown();
            }
        });
        try {
            assertTrue(ready.await(10, TimeUnit.SECONDS), "the pod's script ran: " + lines);
            assertEquals(List.of("1900100000", "secret:s3cret", "0", "pid-file-unreadable", "data-unlistable",
                    "code-unreadable", "scratch-writable", "ready"), lines.subList(0, Math.min(lines.size(), 8)), lines.toString());
            long pid = Long.parseLong(pod.describe().substring(4).split("\\s+")[0]);
            PidFile recorded = PidFile.parse(Files.readString(data.resolve("pods/p1/pid"))).orElseThrow();
            assertTrue(recorded.matches(ProcFs.SYSTEM.read(pid).orElseThrow()), "the pid file matches the live host");
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("pods/p1/pid"))));
            Path view = Path.of(d.pathInPod(spec, code));
            assertNotEquals(code, view);
            assertEquals(Files.getAttribute(code.resolve("index.js"), "unix:ino"), Files.getAttribute(view.resolve("index.js"), "unix:ino"),
                    "the view links the code's files");
            assertEquals("rwxr-x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(view.getParent())));
            assertEquals(1900100000, Files.getAttribute(view.getParent(), "unix:gid"));
            assertFalse(Files.getPosixFilePermissions(view.resolve("index.js")).contains(
                    java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE));
        } finally {
            pod.stop(Duration.ofSeconds(2));
            d.close();
        }
    }

    /**
     * Real processes, as root: the Java host's jar lies in a private (0700) directory, as in a checkout under a
     * {@code mktemp -d} directory; the pod, running as its own uid, starts from a readable copy.
     */
    @Test
    void asRootAJavaHostWhoseJarIsInAPrivateDirectoryStartsFromAReadableCopy() throws Exception {
        assumeTrue(ProcFs.SYSTEM.selfUid() == 0, "needs root");
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
        Path hidden = Files.createDirectories(tmp.resolve("checkout/target"));
        Files.setPosixFilePermissions(tmp.resolve("checkout"), PosixFilePermissions.fromString("rwx------"));
        Path jar = hidden.resolve("nest.jar");
        Path classes = Path.of(Class.forName("dev.nest.host.JavaHost").getProtectionDomain().getCodeSource().getLocation().toURI());
        try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar)); var walk = Files.walk(classes)) {
            for (Path f : walk.filter(Files::isRegularFile).toList()) {
                out.putNextEntry(new java.util.jar.JarEntry(classes.relativize(f).toString()));
                Files.copy(f, out);
                out.closeEntry();
            }
        }
        Path copies = tmp.resolve("runtimes");
        ProcessSandboxDriver d = new ProcessSandboxDriver(new DriverContext("n1", tmp.resolve("data"), Map.of("uid-base",
                "1900100000", "uid-locks", tmp.resolve("locks").toString())), ProcFs.SYSTEM, System.getenv(), SETSID, SETPRIV,
                Path.of("/etc/passwd"), copies);
        int port;
        try (var s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> lines = new CopyOnWriteArrayList<>();
        java.util.concurrent.CountDownLatch listening = new java.util.concurrent.CountDownLatch(1);
        PodSpec spec = new PodSpec("pj", "java", "", List.of(java, "-Xmx64m", "-cp", jar.toString(), "dev.nest.host.JavaHost"),
                Map.of("NEST_HOST_SECRET", "s3cret", "NEST_HOST_PORT", Integer.toString(port), "NEST_HOST_ADDRESS", "127.0.0.1"),
                tmp, tmp, "127.0.0.1", port, 1 << 28, 1, 256, Map.of(), tmp.resolve("ignored-when-isolated"));
        Pod pod = d.start(spec, (id, err, line) -> {
            lines.add(line);
            if (line.startsWith("nest java host listening on")) {
                listening.countDown();
            }
        });
        try {
            assertTrue(listening.await(30, TimeUnit.SECONDS), "the host started as its own uid: " + lines);
            Path copy = copies.resolve(RuntimeCopies.hash(jar)).resolve("nest.jar");
            assertEquals("r--r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(copy)));
            PidFile recorded = PidFile.parse(Files.readString(tmp.resolve("data/pods/pj/pid"))).orElseThrow();
            assertTrue(recorded.argv().contains(copy.toString()), "the host runs from the copy: " + recorded.argv());
            assertEquals(1900100000, recorded.uid());
        } finally {
            pod.stop(Duration.ofSeconds(2));
            d.close();
        }
    }

    /** As root, a host script in a private directory is run from a readable copy; an unreadable program still fails. */
    @Test
    void asRootAHostScriptInAPrivateDirectoryRunsFromACopyAndAnUnreadableProgramIsReported() throws Exception {
        assumeTrue(ProcFs.SYSTEM.selfUid() == 0, "needs root");
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
        Path hidden = Files.createDirectories(tmp.resolve("private"));
        Files.setPosixFilePermissions(hidden, PosixFilePermissions.fromString("rwx------"));
        Path script = Files.writeString(hidden.resolve("host.sh"), "echo \"uid:$(id -u)\"; echo \"script:$0\"; cat >/dev/null\n");
        ProcessSandboxDriver d = new ProcessSandboxDriver(new DriverContext("n1", tmp.resolve("data"), Map.of("uid-base",
                "1900100000", "uid-locks", tmp.resolve("locks").toString())), ProcFs.SYSTEM, System.getenv(), SETSID, SETPRIV,
                Path.of("/etc/passwd"), tmp.resolve("runtimes"));
        List<String> lines = new CopyOnWriteArrayList<>();
        java.util.concurrent.CountDownLatch ran = new java.util.concurrent.CountDownLatch(2);
        PodSpec spec = new PodSpec("ps", "sh", "", List.of("/bin/sh", script.toString()), Map.of("NEST_HOST_SECRET", "s"),
                tmp, tmp, "127.0.0.1", 1, 1 << 26, 1, 64, Map.of(), tmp.resolve("ignored"));
        Pod pod = d.start(spec, (id, err, line) -> {
            lines.add(line);
            ran.countDown();
        });
        try {
            assertTrue(ran.await(10, TimeUnit.SECONDS), "the script ran: " + lines);
            assertEquals(List.of("uid:1900100000", "script:" + tmp.resolve("runtimes").resolve(RuntimeCopies.hash(script))
                    .resolve("host.sh")), lines.subList(0, 2));
        } finally {
            pod.stop(Duration.ofSeconds(2));
        }
        Path program = Files.copy(Path.of("/bin/true"), hidden.resolve("true"));
        PodSpec unreadable = new PodSpec("pu", "sh", "", List.of(program.toString()), Map.of(), tmp, tmp, "127.0.0.1", 1,
                1 << 26, 1, 64, Map.of(), tmp.resolve("ignored"));
        var e = org.junit.jupiter.api.Assertions.assertThrows(dev.nest.spi.SandboxException.class,
                () -> d.start(unreadable, (id, err, line) -> { }));
        assertTrue(e.getMessage().contains("cannot read " + program), e.getMessage());
        d.close();
    }

    @Test
    void whenNoReadableCopyCanBeMadeTheStartFailsWithTheFileToFix() throws Exception {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
        Path hidden = Files.createDirectories(tmp.resolve("private"));
        Files.setPosixFilePermissions(hidden, PosixFilePermissions.fromString("rwx------"));
        Path jar = Files.writeString(hidden.resolve("nest.jar"), "jar");
        Path planted = Files.createSymbolicLink(tmp.resolve("runtimes"), hidden);
        ProcessSandboxDriver d = new ProcessSandboxDriver(new DriverContext("n1", tmp.resolve("data"), Map.of("uid-base",
                "1900100000", "uid-locks", tmp.resolve("locks").toString())), new FakeProcessTable(0), Map.of(), SETSID, SETPRIV,
                Path.of("/etc/passwd"), planted);
        PodSpec spec = new PodSpec("pf", "java", "", List.of("/usr/bin/java", "-cp", jar.toString(), "Main"), Map.of(),
                tmp, tmp, "127.0.0.1", 1, 1 << 26, 1, 64, Map.of(), tmp.resolve("ignored"));
        var e = org.junit.jupiter.api.Assertions.assertThrows(dev.nest.spi.SandboxException.class,
                () -> d.start(spec, (id, err, line) -> { }));
        assertTrue(e.getMessage().contains("cannot read " + jar) && e.getMessage().contains("readable copy cannot be made")
                && e.getMessage().contains("chmod o+rx"), e.getMessage());
        d.close();
    }
}
