package dev.nest.host;

import java.lang.management.ManagementFactory;

/**
 * {@link ThreadMeter} over {@code com.sun.management.ThreadMXBean}. A class of its own so that the management
 * classes load only when a merged host asks for them (dedicated pods never do: it keeps their start-up lean).
 */
final class JvmThreadMeter implements ThreadMeter {
    private final com.sun.management.ThreadMXBean mx;
    private final boolean cpu;
    private final boolean allocation;

    private JvmThreadMeter(com.sun.management.ThreadMXBean mx, boolean cpu, boolean allocation) {
        this.mx = mx;
        this.cpu = cpu;
        this.allocation = allocation;
    }

    /** The JVM's meter with its counters switched on where supported. */
    static ThreadMeter create() {
        if (!(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean mx)) {
            return ThreadMeter.NONE;
        }
        boolean cpu = mx.isThreadCpuTimeSupported() && mx.isCurrentThreadCpuTimeSupported();
        if (cpu && !mx.isThreadCpuTimeEnabled()) mx.setThreadCpuTimeEnabled(true);
        boolean allocation = mx.isThreadAllocatedMemorySupported();
        if (allocation && !mx.isThreadAllocatedMemoryEnabled()) mx.setThreadAllocatedMemoryEnabled(true);
        return new JvmThreadMeter(mx, cpu, allocation);
    }

    @Override
    public long currentCpuNanos() {
        return cpu ? mx.getCurrentThreadCpuTime() : -1;
    }

    @Override
    public long currentAllocatedBytes() {
        return allocation ? mx.getCurrentThreadAllocatedBytes() : -1;
    }

    @Override
    public long cpuNanos(long id) {
        return cpu ? mx.getThreadCpuTime(id) : -1;
    }

    @Override
    public long allocatedBytes(long id) {
        return allocation ? mx.getThreadAllocatedBytes(id) : -1;
    }
}
