package dev.nest.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ContainersTest {
    private static PodSpec spec(long memoryBytes) {
        return new PodSpec("p1", "nodejs", "img", List.of(), Map.of(), Path.of("/rt"), Path.of("/data/code"),
                "127.0.0.1", 9000, memoryBytes, 1, 64, Map.of(PodLabels.FUNCTION, "default/hello"), Path.of("/tmp/p1"));
    }

    @Test
    void aStartIsCheckedForAClosedDriverAnImageAndTheMemory() {
        record Case(boolean closed, String image, long memory, String message) {
        }
        for (Case c : List.of(
                new Case(true, "img", 64L << 20, "the docker driver of node n1 is closed; cannot start pod p1"),
                new Case(false, " ", 64L << 20, "runtime nodejs names no image: set image: in its runtime.yaml or "
                        + "sidecar.drivers.docker.image.nodejs in nest.yaml"),
                new Case(false, "img", 1L << 20, "pod p1 asks for 1048576 bytes of memory; containers need at least "
                        + "6 MiB: raise the function's memory"))) {
            SandboxException e = assertThrows(SandboxException.class, () -> Containers.checkStart("docker", "n1",
                    c.closed(), spec(c.memory()), c.image(), "sidecar.drivers.docker."));
            assertEquals(c.message(), e.getMessage());
        }
        Containers.checkStart("docker", "n1", false, spec(Containers.MIN_MEMORY), "img", "sidecar.drivers.docker.");
    }

    @Test
    void pathsUnderTheCodeRootAreSeenUnderTheMount() {
        assertEquals("/nest/code", Containers.pathInPod("docker", spec(1), Path.of("/data/code"), "/nest/code"));
        assertEquals("/nest/code/ab/cd", Containers.pathInPod("docker", spec(1), Path.of("/data/code/ab/./cd"), "/nest/code"));
        SandboxException e = assertThrows(SandboxException.class,
                () -> Containers.pathInPod("containerd", spec(1), Path.of("/data/other"), "/nest/code"));
        assertTrue(e.getMessage().endsWith("the only host directory whose code containerd pods can see"), e.getMessage());
    }

    @Test
    void podLabelsAddOwnerNodeAndPodAndTellWhoseAPodIs() {
        Map<String, String> labels = PodLabels.of(spec(1), "n1");
        assertEquals(Map.of(PodLabels.FUNCTION, "default/hello", PodLabels.OWNER, "nest", PodLabels.NODE, "n1",
                PodLabels.POD, "p1"), labels);
        assertTrue(PodLabels.ownedBy(labels, "n1"));
        assertEquals(List.of(false, false), List.of(PodLabels.ownedBy(labels, "n2"),
                PodLabels.ownedBy(Map.of(PodLabels.NODE, "n1"), "n1")));
    }
}
