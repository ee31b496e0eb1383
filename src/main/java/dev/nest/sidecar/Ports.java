package dev.nest.sidecar;

/**
 * Where the node agent gets the loopback ports of its runtime hosts: {@link PortAllocator} in production (the
 * configured {@code sidecar.port-range}); tests hand out ports the system says are free. Thread-safe.
 */
interface Ports {
    /**
     * A port no other pod of this node uses.
     *
     * @throws InvokeException 503 when none is left
     */
    int allocate();

    /** Gives back a port from {@link #allocate}; other values are ignored. */
    void release(int port);
}
