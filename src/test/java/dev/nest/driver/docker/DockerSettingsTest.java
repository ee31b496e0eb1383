package dev.nest.driver.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.spi.SandboxException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DockerSettingsTest {
    @Test
    void defaults() {
        DockerSettings s = DockerSettings.parse(Map.of());
        assertEquals("unix:///var/run/docker.sock", s.endpoint());
        assertEquals(Duration.ofSeconds(30), s.timeout());
        assertEquals("64m", s.tmpfsSize());
        assertTrue(s.init());
        assertEquals("10m", s.logMaxSize());
        assertEquals(Optional.empty(), s.image("nodejs"));
        assertTrue(s.hostSocket());
    }

    @Test
    void aPodWithASocketMountsItsDirectoryReadWriteBesideItsReadOnlyCode() {
        java.nio.file.Path code = java.nio.file.Path.of("/var/lib/nest/docker/pods/nest-p1/code");
        dev.nest.spi.PodSpec spec = new dev.nest.spi.PodSpec("p1", "nodejs", "img", java.util.List.of(), Map.of(), code, code,
                "127.0.0.1", 9000, 1 << 27, 0, 64, Map.of(), code);
        DockerSettings s = DockerSettings.parse(Map.of());
        var with = DockerSandboxDriver.hostConfig(s, spec, code,
                Optional.of(java.nio.file.Path.of("/var/lib/nest/docker/pods/nest-p1/host/nest-host.sock")));
        assertEquals(java.util.List.of("/var/lib/nest/docker/pods/nest-p1/code:/nest/code:ro",
                "/var/lib/nest/docker/pods/nest-p1/host:/nest/host:rw"),
                java.util.Arrays.stream(with.getBinds()).map(Object::toString).toList());
        var linked = DockerSandboxDriver.hostConfig(s, spec, code,
                Optional.of(java.nio.file.Path.of("/tmp/nest-0-s/0123456789ab/nest-host.sock")));
        assertEquals(java.util.Arrays.stream(with.getBinds()).map(Object::toString).toList(),
                java.util.Arrays.stream(linked.getBinds()).map(Object::toString).toList(),
                "a socket reached through a short link mounts the pod's own directory");
        var without = DockerSandboxDriver.hostConfig(s, spec, code, Optional.empty());
        assertEquals(java.util.List.of("/var/lib/nest/docker/pods/nest-p1/code:/nest/code:ro"),
                java.util.Arrays.stream(without.getBinds()).map(Object::toString).toList());
        assertEquals("host", with.getNetworkMode());
    }

    @Test
    void hostSocketIsTrueOrFalse() {
        assertFalse(DockerSettings.parse(Map.of("host-socket", "false")).hostSocket());
        assertTrue(DockerSettings.parse(Map.of("host-socket", " TRUE ")).hostSocket());
        SandboxException e = assertThrows(SandboxException.class, () -> DockerSettings.parse(Map.of("host-socket", "on")));
        assertTrue(e.getMessage().contains("sidecar.drivers.docker.host-socket") && e.getMessage().contains("'on'"), e.getMessage());
    }

    @ParameterizedTest(name = "{0} {1}: {2}")
    @CsvSource(delimiter = '|', value = {
        "name=seccomp,profile=default          | /var/lib/docker               | 65534",
        "name=seccomp;name=userns              | /var/lib/docker/231072.231072 | 296606",
        "name=userns                           | /var/lib/docker/100000.100000/ | 165534",
        "name=userns                           | /var/lib/docker                | -1",
        "name=userns                           | /srv/docker/x.y                | -1",
        "''                                    | ''                             | 65534",
    })
    void theContainersUidOnTheNode(String options, String rootDir, int uid) {
        java.util.List<String> list = options.isEmpty() ? java.util.List.of() : java.util.List.of(options.split(";"));
        assertEquals(uid < 0 ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(uid), DockerSandboxDriver.nodeUid(list, rootDir));
    }

    @Test
    void optionsAreRead() {
        DockerSettings s = DockerSettings.parse(Map.of("host", "tcp://127.0.0.1:2375", "timeout", "1500ms",
                "tmpfs-size", "128M", "init", "false", "image.nodejs", " my/node:1 "));
        assertEquals("tcp://127.0.0.1:2375", s.endpoint());
        assertEquals(Duration.ofMillis(1500), s.timeout());
        assertEquals("128m", s.tmpfsSize());
        assertFalse(s.init());
        assertEquals(Optional.of("my/node:1"), s.image("nodejs"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "host|tcp://10.0.0.1:2375|sidecar.drivers.docker.host",
        "host|/var/run/docker.sock|sidecar.drivers.docker.host",
        "timeout|0s|sidecar.drivers.docker.timeout",
        "timeout|soon|sidecar.drivers.docker.timeout",
        "tmpfs-size|lots|sidecar.drivers.docker.tmpfs-size",
        "init|yes|sidecar.drivers.docker.init",
        "colour|blue|sidecar.drivers.docker.colour",
        "image.|x|image.",
    })
    void mistakesNameTheKey(String key, String value, String named) {
        SandboxException e = assertThrows(SandboxException.class, () -> DockerSettings.parse(Map.of(key, value)));
        assertTrue(e.getMessage().contains(named), e.getMessage());
    }
}
