package dev.nest.namespace;

/**
 * What a namespace holds: instances and the sum of their function memory in MiB.
 *
 * @param instances instances (starting, ready or draining)
 * @param memoryMb  their memory, MiB
 */
public record NamespaceUsage(int instances, long memoryMb) {
    public static final NamespaceUsage NONE = new NamespaceUsage(0, 0);

    public NamespaceUsage {
        if (instances < 0 || memoryMb < 0) {
            throw new IllegalArgumentException("usage cannot be negative: " + instances + " instances, " + memoryMb + " MiB");
        }
    }

    /** This usage and {@code count} more instances of {@code memoryMbEach} MiB each. */
    public NamespaceUsage plus(int count, long memoryMbEach) {
        return new NamespaceUsage(instances + count, memoryMb + (long) count * memoryMbEach);
    }

    public NamespaceUsage plus(NamespaceUsage other) {
        return new NamespaceUsage(instances + other.instances, memoryMb + other.memoryMb);
    }

    /** This usage less {@code count} instances of {@code memoryMbEach} MiB each, never below zero. */
    public NamespaceUsage minus(int count, long memoryMbEach) {
        return new NamespaceUsage(Math.max(0, instances - count), Math.max(0, memoryMb - (long) count * memoryMbEach));
    }
}
