package dev.nest.cluster;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

/** What a TCP connection attempt to a node's port found: whether something listens there. */
public enum PortAnswer {
    /** the port accepted the connection */
    ACCEPTED,
    /** the host answered that nothing listens on the port */
    REFUSED,
    /** no answer in time, or no route: nothing certain */
    UNKNOWN;

    /**
     * Opens (and closes) a TCP connection to {@code address:port}, waiting at most {@code timeout} (at least 1 ms):
     * only {@link ConnectException} is a refusal.
     */
    public static PortAnswer tcp(String address, int port, Duration timeout) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(address, port), (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis())));
            return ACCEPTED;
        } catch (ConnectException e) {
            return REFUSED;
        } catch (IOException | RuntimeException e) {
            return UNKNOWN;
        }
    }
}
