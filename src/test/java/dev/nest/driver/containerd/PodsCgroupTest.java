package dev.nest.driver.containerd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PodsCgroupTest {
    @TempDir
    Path root;

    @ParameterizedTest
    @CsvSource({"0, 1024", "1, 1024", "2, 2048", "16, 16384", "256, 262144", "1000, 262144"})
    void sharesAreOneCpuEachWithinTheKernelsBounds(int cores, long shares) {
        assertEquals(shares, PodsCgroup.shares(cores));
    }

    @ParameterizedTest
    @CsvSource({"2, 1", "1024, 39", "2048, 79", "262144, 10000", "1, 1", "999999, 10000"})
    void weightIsRuncsConversionOfShares(long shares, long weight) {
        assertEquals(weight, PodsCgroup.weight(shares));
    }

    @Test
    void cgroupV1MakesTheParentAndWritesItsShares() throws Exception {
        Files.createDirectories(root.resolve("cpu"));
        Files.writeString(root.resolve("cpu/cpu.shares"), "1024\n");
        // the kernel makes the control files of a new group; the fake one has them ready
        Files.createDirectories(root.resolve("cpu/nest"));
        Files.writeString(root.resolve("cpu/nest/cpu.shares"), "1024\n");
        Optional<String> done = PodsCgroup.weigh(root, "nest", 2);
        assertEquals(Optional.of(root.resolve("cpu/nest/cpu.shares") + "=2048"), done);
        assertEquals("2048", Files.readString(root.resolve("cpu/nest/cpu.shares")));
    }

    @Test
    void cgroupV2WritesTheWeight() throws Exception {
        Files.writeString(root.resolve("cgroup.controllers"), "cpu memory pids\n");
        Files.createDirectories(root.resolve("nest"));
        Files.writeString(root.resolve("nest/cpu.weight"), "100\n");
        assertTrue(PodsCgroup.weigh(root, "nest", 4).isPresent());
        assertEquals("157", Files.readString(root.resolve("nest/cpu.weight")));
    }

    @Test
    void aGroupWithoutTheCpuControllerIsLeftAlone() throws Exception {
        Files.writeString(root.resolve("cgroup.controllers"), "memory pids\n");
        assertEquals(Optional.empty(), PodsCgroup.weigh(root, "nest", 2), "no cpu.weight file: nothing written");
    }

    @Test
    void noCgroupFileSystemIsLeftAlone() {
        assertEquals(Optional.empty(), PodsCgroup.weigh(root.resolve("missing"), "nest", 2));
    }
}
