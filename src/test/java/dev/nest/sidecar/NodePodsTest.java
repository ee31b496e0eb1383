package dev.nest.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Starting a pod until its host is healthy, and starting it again on another port when another process took its port. */
class NodePodsTest {
    @TempDir
    Path dir;

    /** Hands out the given ports first, then ports the system says are free; records what is given back. */
    static final class ScriptedPorts implements Ports {
        private final Deque<Integer> first;
        private final FreePorts free = new FreePorts();
        final List<Integer> allocated = new CopyOnWriteArrayList<>();
        final List<Integer> released = new CopyOnWriteArrayList<>();

        ScriptedPorts(List<Integer> first) {
            this.first = new ArrayDeque<>(first);
        }

        @Override
        public synchronized int allocate() {
            int port = first.isEmpty() ? free.allocate() : first.poll();
            allocated.add(port);
            return port;
        }

        @Override
        public void release(int port) {
            released.add(port);
        }
    }

    private static ServerSocket occupied() throws IOException {
        return new ServerSocket(0, 1, InetAddress.getByName(NodePods.LOOPBACK));
    }

    @Test
    void aHostWhosePortWasTakenIsStartedAgainOnAnotherPort() throws Exception {
        try (AgentFixture f = new AgentFixture(dir); ServerSocket taken = occupied()) {
            ScriptedPorts ports = new ScriptedPorts(List.of(taken.getLocalPort()));
            NodePods pods = f.pods(4, ports);
            List<String> podIds = new ArrayList<>();
            NodePods.Started s = pods.startHealthy("fn", "fn-1", pods.runtime("fake"), 128, Map.of(), new RecentOutput(),
                    podIds::add);
            assertNotEquals(taken.getLocalPort(), s.port());
            assertEquals(List.of("fn-1", "fn-1-2"), podIds, "the second start is a new pod");
            assertEquals(List.of(taken.getLocalPort()), ports.released, "the taken port is given back, the new one kept");
            assertEquals(200, s.client().call("GET", "/health", null, 2_000).status());
            pods.stopQuietly(s.pod());
        }
    }

    @Test
    void givesUpAfterTheLastAttemptWithTheHostsOutput() throws Exception {
        List<ServerSocket> taken = new ArrayList<>();
        try (AgentFixture f = new AgentFixture(dir)) {
            for (int k = 0; k < PortConflict.MAX_ATTEMPTS; k++) {
                taken.add(occupied());
            }
            ScriptedPorts ports = new ScriptedPorts(taken.stream().map(ServerSocket::getLocalPort).toList());
            NodePods pods = f.pods(4, ports);
            InvokeException e = assertThrows(InvokeException.class, () -> pods.startHealthy("fn", "fn-1",
                    pods.runtime("fake"), 128, Map.of(), new RecentOutput(), id -> { }));
            assertEquals(502, e.status());
            assertTrue(e.getMessage().contains("exited with code 98") && e.getMessage().contains("EADDRINUSE"), e.getMessage());
            assertEquals(PortConflict.MAX_ATTEMPTS, f.driver.started.size());
            assertEquals(ports.allocated, ports.released, "every port tried is given back");
        } finally {
            for (ServerSocket s : taken) {
                s.close();
            }
        }
    }

    @Test
    void aHostThatFailsForAnotherReasonIsNotStartedAgain() throws Exception {
        try (AgentFixture f = new AgentFixture(dir)) {
            f.driver.exitAtStart.add(1);
            ScriptedPorts ports = new ScriptedPorts(List.of());
            NodePods pods = f.pods(4, ports);
            InvokeException e = assertThrows(InvokeException.class, () -> pods.startHealthy("fn", "fn-1",
                    pods.runtime("fake"), 128, Map.of(), new RecentOutput(), id -> { }));
            assertTrue(e.getMessage().contains("exited with code 1"), e.getMessage());
            assertEquals(1, f.driver.started.size());
            assertEquals(ports.allocated, ports.released);
        }
    }
}
