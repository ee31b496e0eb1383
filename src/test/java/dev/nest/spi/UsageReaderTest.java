package dev.nest.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UsageReaderTest {
    @TempDir
    Path tmp;

    private Path write(String relative, String content) throws IOException {
        Path p = tmp.resolve(relative);
        Files.createDirectories(p.getParent());
        Files.writeString(p, content);
        return p;
    }

    private UsageReader reader() {
        return new UsageReader(tmp.resolve("proc"), tmp.resolve("cgroup"));
    }

    @Test
    void readsCgroupV1WithSeparateCpuAndCpuacctMounts() throws IOException {
        write("proc/42/cgroup", "9:name=systemd:/docker/abc\n4:memory:/docker/abc\n2:cpuacct:/docker/abc\n1:cpu:/docker/abc\n");
        write("cgroup/cpuacct/docker/abc/cpuacct.usage", "1500000000\n");
        write("cgroup/memory/docker/abc/memory.usage_in_bytes", "104857600\n");
        write("cgroup/memory/docker/abc/memory.stat", "cache 4096\ninactive_file 999\ntotal_cache 8192\ntotal_inactive_file 4194304\n");

        UsageReader r = reader();
        UsageReader.Cgroup c = r.cgroupOf(42).orElseThrow();
        assertEquals(1, c.version());
        assertEquals(Optional.of(new PodUsage(1_500_000_000L, 100L * 1024 * 1024 - 4 * 1024 * 1024)), r.read(c));
    }

    @Test
    void readsCgroupV1WithACombinedCpuMount() throws IOException {
        write("proc/7/cgroup", "5:memory:/nest/p1\n3:cpu,cpuacct:/nest/p1\n");
        write("cgroup/cpu,cpuacct/nest/p1/cpuacct.usage", "20\n");
        write("cgroup/memory/nest/p1/memory.usage_in_bytes", "1000\n");
        write("cgroup/memory/nest/p1/memory.stat", "total_inactive_file 200\n");

        UsageReader r = reader();
        assertEquals(Optional.of(new PodUsage(20, 800)), r.cgroupOf(7).flatMap(r::read));
    }

    @Test
    void readsCgroupV2WhenTheRootIsTheUnifiedHierarchy() throws IOException {
        write("cgroup/cgroup.controllers", "cpu memory pids\n");
        write("proc/9/cgroup", "0::/system.slice/docker-abc.scope\n");
        write("cgroup/system.slice/docker-abc.scope/cpu.stat", "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n");
        write("cgroup/system.slice/docker-abc.scope/memory.current", "52428800\n");
        write("cgroup/system.slice/docker-abc.scope/memory.stat", "anon 1\nfile 2\nactive_file 3\ninactive_file 2097152\n");

        UsageReader r = reader();
        UsageReader.Cgroup c = r.cgroupOf(9).orElseThrow();
        assertEquals(2, c.version());
        assertEquals(Optional.of(new PodUsage(2_500_000_000L, 50L * 1024 * 1024 - 2 * 1024 * 1024)), r.read(c));
    }

    @Test
    void theRootCgroupAnEscapeOrMissingFilesGiveNothing() throws IOException {
        write("proc/1/cgroup", "4:memory:/\n2:cpuacct:/\n");
        write("cgroup/cpuacct/cpuacct.usage", "5\n");
        write("proc/2/cgroup", "4:memory:/../../etc\n2:cpuacct:/../../etc\n");
        write("proc/3/cgroup", "4:memory:/docker/x\n2:cpuacct:/docker/x\n");
        write("cgroup/cpuacct/docker/x/cpuacct.usage", "5\n"); // no memory files
        UsageReader r = reader();
        assertEquals(Optional.empty(), r.cgroupOf(1));
        assertEquals(Optional.empty(), r.cgroupOf(2));
        assertEquals(Optional.empty(), r.cgroupOf(3));
        assertEquals(Optional.empty(), r.cgroupOf(4)); // no such process
    }

    @Test
    void aCgroupThatGoesAwayOrHoldsGarbageReadsAsEmpty() throws IOException {
        Path cpu = write("cg/cpuacct.usage", "not a number\n");
        Path mem = write("cg/memory.usage_in_bytes", "10\n");
        Path stat = write("cg/memory.stat", "total_inactive_file 1\n");
        UsageReader r = reader();
        assertEquals(Optional.empty(), r.read(new UsageReader.Cgroup(1, cpu, mem, stat)));
        Files.writeString(cpu, "10\n");
        assertEquals(Optional.of(new PodUsage(10, 9)), r.read(new UsageReader.Cgroup(1, cpu, mem, stat)));
        Files.delete(stat);
        assertEquals(Optional.empty(), r.read(new UsageReader.Cgroup(1, cpu, mem, stat)));
        assertEquals(Optional.empty(), r.read(new UsageReader.Cgroup(2, tmp.resolve("gone/cpu.stat"), mem, stat)));
    }

    @Test
    void sumsAProcessTreeFromProcStatAndStatus() throws IOException {
        // the name holds spaces and a parenthesis; utime and stime are fields 14 and 15
        write("proc/10/stat", "10 (node (host) x) S 1 10 10 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 11 0 100 0 0\n");
        write("proc/10/status", "Name:\tnode\nVmRSS:\t   40960 kB\nThreads:\t11\n");
        write("proc/11/stat", "11 (sh) S 10 10 10 0 -1 4194560 100 0 0 0 100 0 0 0 20 0 1 0 100 0 0\n");
        write("proc/11/status", "Name:\tsh\nVmRSS:\t1024 kB\n");

        UsageReader r = reader();
        assertEquals(Optional.of(new PodUsage(4_000_000_000L, (40960L + 1024) * 1024)), r.processes(List.of(10L, 11L, 12L)),
                "process 12 exited: left out");
        assertEquals(Optional.empty(), r.processes(List.of(12L, 10L)), "the host itself is gone");
        assertEquals(Optional.empty(), r.processes(List.of()));

        write("proc/10/task/10/children", "11 12 ");
        write("proc/11/task/11/children", "");
        assertEquals(r.processes(List.of(10L, 11L)), r.processTree(10), "the tree is 10 and its child 11 (12 exited)");
        assertEquals(Optional.empty(), r.processTree(99));
    }

    @Test
    void readsThisProcessFromTheRealProc() {
        // a live check of the parsers against the kernel's own format (Linux only, where Nest runs)
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self")), "no /proc on this machine");
        Optional<PodUsage> u = UsageReader.SYSTEM.processes(List.of(ProcessHandle.current().pid()));
        assertTrue(u.isPresent() && u.get().memoryBytes() > 1024 * 1024, "read " + u);
    }
}
