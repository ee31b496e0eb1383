package dev.nest.driver.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.driver.process.ProcessDriverSettings.Isolation;
import dev.nest.spi.SandboxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProcessDriverSettingsTest {
    private record Case(Map<String, String> options, boolean root, Isolation isolation) {
    }

    @Test
    void isolationFollowsNestsUserAndTheUidBase() {
        for (Case c : List.of(
                new Case(Map.of(), true, Isolation.POD_UIDS),
                new Case(Map.of(), false, Isolation.NONE),
                new Case(Map.of("uid-base", "0"), true, Isolation.SHARED_USER),
                new Case(Map.of("uid-base", "0", "user", "daemon"), false, Isolation.NONE),
                new Case(Map.of("uid-base", "300000", "uid-count", "64"), true, Isolation.POD_UIDS))) {
            assertEquals(c.isolation, ProcessDriverSettings.from(c.options, c.root).isolation(), c.toString());
        }
    }

    @Test
    void defaults() {
        ProcessDriverSettings s = ProcessDriverSettings.from(Map.of(), true);
        assertEquals(1_900_000_000, s.uidBase());
        assertEquals(1000, s.uidCount());
        assertEquals("nobody", s.user());
        assertEquals(Path.of("/run/nest/pod-uids"), s.uidLocks());
        assertTrue(s.hostSocket());
        assertTrue(!ProcessDriverSettings.from(Map.of("host-socket", "false"), true).hostSocket());
        assertTrue(ProcessDriverSettings.from(Map.of("host-socket", " TRUE"), false).hostSocket());
        // the hosts' Node.js is read and checked by runtime.NodeBinary; the driver only knows the key
        assertEquals(Isolation.POD_UIDS, ProcessDriverSettings.from(Map.of("node", "/opt/node/bin/node"), true).isolation());
    }

    @Test
    void badValuesNameTheKeyTheValueAndWhatIsAllowed() {
        Map<Map<String, String>, String> bad = Map.of(
                Map.of("uid-base", "12"), "sidecar.drivers.process.uid-base",
                Map.of("uid-base", "x"), "sidecar.drivers.process.uid-base",
                Map.of("uid-count", "0"), "sidecar.drivers.process.uid-count",
                Map.of("uid-base", "2100000000"), "sidecar.drivers.process.uid-base",
                Map.of("user", "root"), "sidecar.drivers.process.user",
                Map.of("uid-locks", "relative/dir"), "sidecar.drivers.process.uid-locks",
                Map.of("host-socket", "yes"), "sidecar.drivers.process.host-socket': value 'yes",
                Map.of("uid", "5"), "unknown key 'sidecar.drivers.process.uid'");
        bad.forEach((options, key) -> {
            SandboxException e = assertThrows(SandboxException.class, () -> ProcessDriverSettings.from(options, true));
            assertTrue(e.getMessage().contains(key), e.getMessage());
        });
    }

    @Test
    void aSharedUserIsLookedUpInPasswd(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path passwd = dir.resolve("passwd");
        java.nio.file.Files.writeString(passwd, "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/:/usr/sbin/nologin\n"
                + "wheelie:x:1001:0::/home/w:/bin/sh\n");
        assertEquals(new HostLaunch.PodUser(65534, 65534), Accounts.resolve("nobody", passwd));
        assertEquals(new HostLaunch.PodUser(4000, 4000), Accounts.resolve("4000", passwd));
        assertTrue(assertThrows(SandboxException.class, () -> Accounts.resolve("nosuch", passwd)).getMessage().contains("nosuch"));
        assertThrows(SandboxException.class, () -> Accounts.resolve("wheelie", passwd), "group root is refused");
    }
}
