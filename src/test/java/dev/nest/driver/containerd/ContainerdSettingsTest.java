package dev.nest.driver.containerd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.spi.SandboxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ContainerdSettingsTest {
    @Test
    void defaultsMatchWhatSetupEnginesStarts() {
        ContainerdSettings s = ContainerdSettings.parse(Map.of());
        assertEquals(Path.of("/run/nest/containerd/containerd.sock"), s.address());
        assertEquals("nest", s.namespace());
        assertEquals("overlayfs", s.snapshotter());
        assertEquals("io.containerd.runc.v2", s.runtime());
        assertEquals(Duration.ofSeconds(30), s.timeout());
        assertFalse(s.sharedShim());
        assertEquals(64L << 20, s.tmpfsBytes());
        assertEquals(Optional.of(Path.of("/usr/bin/docker-init")), s.init());
        assertEquals(0, s.prepared());
        assertEquals(Duration.ofMinutes(10), s.preparedMaxAge());
    }

    @Test
    void hostSocketIsOnByDefaultAndTrueOrFalse() {
        org.junit.jupiter.api.Assertions.assertTrue(ContainerdSettings.parse(Map.of()).hostSocket());
        org.junit.jupiter.api.Assertions.assertFalse(ContainerdSettings.parse(Map.of("host-socket", "false")).hostSocket());
        SandboxException e = assertThrows(SandboxException.class, () -> ContainerdSettings.parse(Map.of("host-socket", "1")));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("sidecar.drivers.containerd.host-socket"), e.getMessage());
    }

    @Test
    void preparedContainers() {
        ContainerdSettings s = ContainerdSettings.parse(Map.of("prepared", "2", "prepared-max-age", "90s"));
        assertEquals(2, s.prepared());
        assertEquals(Duration.ofSeconds(90), s.preparedMaxAge());
        for (String bad : new String[] {"-1", "9", "x", "1.5", "100"}) {
            SandboxException e = assertThrows(SandboxException.class, () -> ContainerdSettings.parse(Map.of("prepared", bad)));
            assertTrue(e.getMessage().contains("sidecar.drivers.containerd.prepared") && e.getMessage().contains("0 (none) to 8")
                    && e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
        SandboxException e = assertThrows(SandboxException.class, () -> ContainerdSettings.parse(Map.of("prepared-max-age", "0s")));
        assertTrue(e.getMessage().contains("sidecar.drivers.containerd.prepared-max-age"), e.getMessage());
    }

    @Test
    void readsEveryKey() {
        ContainerdSettings s = ContainerdSettings.parse(Map.of("address", "unix:///tmp/c.sock", "namespace", "ns1",
                "snapshotter", "native", "runtime", "io.containerd.runsc.v1", "timeout", "1500ms", "shim", "shared",
                "tmpfs-size", "2g", "init", "none", "image.nodejs", "registry.local:5000/node:1"));
        assertEquals(Path.of("/tmp/c.sock"), s.address());
        assertEquals("ns1", s.namespace());
        assertEquals("native", s.snapshotter());
        assertEquals("io.containerd.runsc.v1", s.runtime());
        assertEquals(Duration.ofMillis(1500), s.timeout());
        assertTrue(s.sharedShim());
        assertEquals(2L << 30, s.tmpfsBytes());
        assertEquals(Optional.empty(), s.init());
        assertEquals("registry.local:5000/node:1", s.image("nodejs", "ignored"));
    }

    @Test
    void imagesAreNamedAsContainerdRecordsThem() {
        ContainerdSettings s = ContainerdSettings.parse(Map.of());
        assertEquals("docker.io/nest/runtime-nodejs:latest", s.image("nodejs", "nest/runtime-nodejs:latest"));
        assertEquals("docker.io/nest/runtime-java:latest", s.image("java", "nest/runtime-java"));
        assertEquals("docker.io/library/node:20", ContainerdSettings.normalise("node:20"));
        assertEquals("localhost/a/b:latest", ContainerdSettings.normalise("localhost/a/b"));
        assertEquals("ghcr.io/x/y@sha256:ab", ContainerdSettings.normalise("ghcr.io/x/y@sha256:ab"));
        assertEquals("", s.image("ruby", null), "no image at all stays empty (start reports it)");
    }

    @Test
    void badValuesAreAllReportedWithTheKeyAndWhatIsAllowed() {
        SandboxException e = assertThrows(SandboxException.class, () -> ContainerdSettings.parse(Map.of(
                "address", "relative.sock", "timeout", "0s", "shim", "sometimes", "tmpfs-size", "12q", "init", "yes",
                "namespace", "no spaces", "runtime", "runc", "image.", "x", "colour", "blue")));
        String m = e.getMessage();
        for (String expected : new String[] {"sidecar.drivers.containerd.address", "'relative.sock'", "absolute path",
                "sidecar.drivers.containerd.timeout", "1s to 10m", "sidecar.drivers.containerd.shim", "per-pod",
                "sidecar.drivers.containerd.tmpfs-size", "sidecar.drivers.containerd.init", "or none",
                "sidecar.drivers.containerd.namespace", "sidecar.drivers.containerd.runtime", "io.containerd.runc.v2",
                "image.<runtime>", "unknown key 'sidecar.drivers.containerd.colour'"}) {
            assertTrue(m.contains(expected), "message names " + expected + ": " + m);
        }
    }

    @Test
    void containerIdsAreValidForContainerd() {
        assertEquals("nest-p1", ContainerdSandboxDriver.containerId("p1"));
        assertEquals("nest-default-hello-3-abc", ContainerdSandboxDriver.containerId("default/hello@3:abc"));
        String longId = ContainerdSandboxDriver.containerId("x".repeat(200));
        assertTrue(longId.length() <= 76, longId);
        assertTrue(longId.matches("[A-Za-z0-9]+([._-][A-Za-z0-9]+)*"), longId);
        assertEquals("nest-a-b", ContainerdSandboxDriver.containerId("a//b--"));
    }

    @Test
    void filterValuesAreQuotedUnlessPlain() {
        assertEquals("node1", ContainerdSandboxDriver.quoted("node1"));
        assertEquals("\"it-node.2\"", ContainerdSandboxDriver.quoted("it-node.2"));
        assertEquals("\"a\\\"b\"", ContainerdSandboxDriver.quoted("a\"b"));
    }
}
