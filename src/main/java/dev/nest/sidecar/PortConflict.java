package dev.nest.sidecar;

import java.util.List;
import java.util.Optional;

/**
 * Whether a pod that ended while starting lost its loopback port to another process, and whether to start it again
 * on another port (a pure decision, tested with a table). The port allocator checks that a port is free before it
 * hands it out, but another process can take it before the host binds it (another Nest node on the same machine,
 * any program binding a port of {@code sidecar.port-range}). A host that cannot bind because its port is in use exits
 * with status {@link #EXIT_PORT_IN_USE} and prints a line naming {@code EADDRINUSE} (runtimes/CONTRACT.md); the line
 * alone is also taken as the sign, for hosts built before the status was defined ({@code Address already in use} is
 * the JDK's wording).
 */
final class PortConflict {
    /** The exit status of a host whose port is in use (Linux's EADDRINUSE). */
    static final int EXIT_PORT_IN_USE = 98;
    /** Starts of one pod in all, the first included: each retry takes a new port. */
    static final int MAX_ATTEMPTS = 4;

    private PortConflict() {
    }

    /**
     * Whether the host lost its port: it exited with {@link #EXIT_PORT_IN_USE}, or it exited (with any status) after
     * printing a line that says the address is in use.
     *
     * @param exit  the host's exit status; empty while it runs (a start that failed otherwise, e.g. timed out)
     * @param lines the host's output during this start
     */
    static boolean portTaken(Optional<Integer> exit, List<String> lines) {
        if (exit.isEmpty()) {
            return false;
        }
        if (exit.get() == EXIT_PORT_IN_USE) {
            return true;
        }
        for (String line : lines) {
            if (line.contains("EADDRINUSE") || line.contains("Address already in use")) {
                return true;
            }
        }
        return false;
    }

    /** Whether start number {@code attempt} (from 1) that ended this way is followed by a start on another port. */
    static boolean startAgain(Optional<Integer> exit, List<String> lines, int attempt) {
        return attempt < MAX_ATTEMPTS && portTaken(exit, lines);
    }
}
