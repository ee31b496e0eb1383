package dev.nest.driver.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.spi.SandboxException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UidSlotsTest {
    @TempDir
    Path locks;

    @Test
    void eachPodGetsItsOwnUidAndAFreedUidIsReused() {
        UidSlots slots = new UidSlots(500_000, 3, locks, new FakeProcessTable(0));
        UidSlots.Slot a = slots.acquire();
        UidSlots.Slot b = slots.acquire();
        assertEquals(500_000, a.uid());
        assertEquals(500_001, b.uid());
        a.close();
        assertEquals(500_000, slots.acquire().uid());
    }

    @Test
    void twoNodesOnOneMachineNeverShareAUid() {
        FakeProcessTable procs = new FakeProcessTable(0);
        UidSlots one = new UidSlots(500_000, 4, locks, procs);
        UidSlots other = new UidSlots(500_000, 4, locks, procs);
        assertNotEquals(one.acquire().uid(), other.acquire().uid());
    }

    @Test
    void aFullRangeSaysWhichKeyToRaise() {
        UidSlots slots = new UidSlots(500_000, 1, locks, new FakeProcessTable(0));
        slots.acquire();
        SandboxException e = assertThrows(SandboxException.class, slots::acquire);
        assertTrue(e.getMessage().contains("sidecar.drivers.process.uid-count"), e.getMessage());
    }

    @Test
    void whatStillRunsAsAUidIsKilledWhenItIsTakenAndWhenItIsGivenBack() {
        FakeProcessTable procs = new FakeProcessTable(0);
        procs.add(70, 1, 500_000, "leftover-of-a-crashed-node");
        UidSlots slots = new UidSlots(500_000, 2, locks, procs);
        UidSlots.Slot s = slots.acquire();
        assertEquals(List.of(70L), procs.killed);
        procs.add(71, 2, 500_000, "daemon-escaped-from-the-host");
        procs.add(72, 3, 500_001, "another-pod");
        procs.add(73, 4, 0, "nest");
        s.close();
        assertEquals(List.of(70L, 71L), procs.killed);
    }

    @Test
    void theSweepAtStartKillsOnlyUidsThatNoLiveNodeHolds() {
        FakeProcessTable procs = new FakeProcessTable(0);
        UidSlots live = new UidSlots(500_000, 3, locks, procs);
        UidSlots.Slot held = live.acquire(); // 500000, held by a running node
        procs.add(80, 1, 500_000, "pod-of-the-live-node");
        procs.add(81, 2, 500_002, "orphan");
        procs.add(82, 3, 500_002, "orphan-child");
        procs.add(83, 4, 1000, "someone-else");
        UidSlots restarted = new UidSlots(500_000, 3, locks, procs);
        assertEquals(1, restarted.sweep());
        assertEquals(List.of(81L, 82L), procs.killed.stream().sorted().toList());
        assertEquals(500_000, held.uid());
    }
}
