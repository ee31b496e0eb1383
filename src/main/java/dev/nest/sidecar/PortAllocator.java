package dev.nest.sidecar;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.BitSet;

/**
 * Hands out loopback ports from {@code sidecar.port-range} for runtime hosts, skipping ports something else
 * is listening on. Thread-safe.
 */
final class PortAllocator implements Ports {
    private final int from;
    private final int to;
    private final BitSet used = new BitSet();
    private int next;

    PortAllocator(int from, int to) {
        this.from = from;
        this.to = to;
        this.next = from;
    }

    @Override
    public synchronized int allocate() {
        int span = to - from + 1;
        for (int tried = 0; tried < span; tried++) {
            int port = next;
            next = next == to ? from : next + 1;
            if (!used.get(port - from) && free(port)) {
                used.set(port - from);
                return port;
            }
        }
        throw new InvokeException(503, "node at capacity", "no free port left in sidecar.port-range "
                + from + "-" + to + "; widen the range in nest.yaml");
    }

    @Override
    public synchronized void release(int port) {
        if (port >= from && port <= to) {
            used.clear(port - from);
        }
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
