package dev.nest.host;

/**
 * Per-thread CPU time and allocated bytes, as the JVM counts them ({@code com.sun.management.ThreadMXBean}): what
 * {@link FunctionThreads} sums per instance in a merged pod. A reading that the JVM cannot give is -1.
 *
 * <p>Limits: {@link #jvm} needs the {@code java.management} and {@code jdk.management} modules (the runtime image
 * includes them); without them, or on a JVM without the counters, every reading is -1 and the host reports no
 * per-function usage. Allocation counts bytes allocated, not bytes retained: the JVM cannot tell which function
 * holds which part of the shared heap.
 *
 * <p>Threads: any.
 */
interface ThreadMeter {
    /** CPU time (user + system) of the calling thread, ns; -1 when not measured. */
    long currentCpuNanos();

    /** Bytes the calling thread allocated so far; -1 when not measured. */
    long currentAllocatedBytes();

    /** CPU time of the live thread {@code id}, ns; -1 when not measured or the thread ended. */
    long cpuNanos(long id);

    /** Bytes the live thread {@code id} allocated so far; -1 when not measured or the thread ended. */
    long allocatedBytes(long id);

    /** A meter that measures nothing. */
    ThreadMeter NONE = new ThreadMeter() {
        @Override
        public long currentCpuNanos() {
            return -1;
        }

        @Override
        public long currentAllocatedBytes() {
            return -1;
        }

        @Override
        public long cpuNanos(long id) {
            return -1;
        }

        @Override
        public long allocatedBytes(long id) {
            return -1;
        }
    };

    /** The JVM's counters, enabled; {@link #NONE} when this JVM lacks them. */
    static ThreadMeter jvm() {
        try {
            return JvmThreadMeter.create();
        } catch (LinkageError | RuntimeException e) {
            return NONE;
        }
    }
}
