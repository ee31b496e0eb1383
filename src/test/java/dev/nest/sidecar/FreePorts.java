package dev.nest.sidecar;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Ports the system reports free at the moment of asking (it binds port 0 and closes the socket): no fixed ranges. */
final class FreePorts implements Ports {
    @Override
    public int allocate() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(NodePods.LOOPBACK))) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void release(int port) {
    }
}
