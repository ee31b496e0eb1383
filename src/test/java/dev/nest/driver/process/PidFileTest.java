package dev.nest.driver.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PidFileTest {
    private static final List<String> ARGV = List.of("/usr/bin/setsid", "/usr/bin/setpriv", "--reuid=1900000000",
            "--regid=1900000000", "--clear-groups", "--", "/usr/bin/node", "--max-old-space-size=96", "/opt/nest/host.js");
    private static final int HOST = 6;
    private static final PidFile RECORDED = new PidFile(4242, 987654, 1_900_000_000, ARGV, HOST);

    private record Case(String name, ProcessRecord live, boolean matches) {
    }

    @Test
    void aPidIsTheRecordedHostOnlyIfStartTimeUidAndCommandLineMatch() {
        List<String> host = ARGV.subList(HOST, ARGV.size());
        List<Case> cases = List.of(
                new Case("the host after exec", live(4242, 987654, 1_900_000_000, host), true),
                new Case("still in setpriv", live(4242, 987654, 1_900_000_000, ARGV.subList(1, ARGV.size())), true),
                new Case("still in setsid", live(4242, 987654, 1_900_000_000, ARGV), true),
                new Case("pid reused later (other start time)", live(4242, 987655, 1_900_000_000, host), false),
                new Case("same start time, another uid (root)", live(4242, 987654, 0, host), false),
                new Case("another command line", live(4242, 987654, 1_900_000_000, List.of("/usr/sbin/sshd", "-D")), false),
                new Case("a command line that is only the host's tail", live(4242, 987654, 1_900_000_000,
                        ARGV.subList(HOST + 1, ARGV.size())), false),
                new Case("a zombie (empty command line)", live(4242, 987654, 1_900_000_000, List.of()), false),
                new Case("another pid", live(4243, 987654, 1_900_000_000, host), false));
        for (Case c : cases) {
            assertEquals(c.matches, RECORDED.matches(c.live), c.name);
        }
    }

    @Test
    void theFileRoundTripsArgumentsWithSpacesAndNewlines() {
        PidFile f = new PidFile(7, 8, 9, List.of("setsid", "node", "a b", "line\nbreak", ""), 1);
        assertEquals(Optional.of(f), PidFile.parse(f.format()));
    }

    @Test
    void unknownOrDamagedFilesAreNotRecordings() {
        for (String text : List.of("", "4242 2026-12-06T10:00:00Z", "nest-pod 1\n4242\n", "nest-pod 1\nx\n1\n2\n0\nbm9kZQ==\n",
                "nest-pod 1\n1\n2\n3\n5\nbm9kZQ==\n", "nest-pod 1\n1\n2\n3\n0\n!!notbase64\n", "nest-pod 2\n1\n2\n3\n0\nbm9kZQ==\n")) {
            assertTrue(PidFile.parse(text).isEmpty(), text);
        }
    }

    @Test
    void procStatStartTimeIsField22EvenWithParenthesesInTheName() {
        String stat = "4242 (node (evil) x) S 1 4242 4242 0 -1 4194560 1 0 0 0 10 2 0 0 20 0 11 0 987654 1000 100 "
                + "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
        assertEquals(987654, ProcFs.startTicks(stat));
    }

    @Test
    void procCmdlineSplitsAtNul() {
        assertEquals(List.of("node", "a b", "host.js"), ProcFs.splitCmdline("node\0a b\0host.js\0".getBytes()));
        assertEquals(List.of(), ProcFs.splitCmdline(new byte[0]));
    }

    @Test
    void theRealProcFsReadsThisJvm() {
        ProcessRecord self = ProcFs.SYSTEM.read(ProcessHandle.current().pid()).orElseThrow();
        assertTrue(self.startTicks() > 0);
        assertTrue(self.cmdline().getFirst().endsWith("java"), self.cmdline().toString());
        assertEquals(ProcFs.SYSTEM.selfUid(), self.uid());
    }

    private static ProcessRecord live(long pid, long start, int uid, List<String> cmdline) {
        return new ProcessRecord(pid, start, uid, cmdline);
    }
}
