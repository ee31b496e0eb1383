package dev.nest.namespace;

import java.util.Optional;

/**
 * The quota decisions, pure and table-tested: how many more instances of a given size a namespace may hold, and
 * whether an action that adds some is admitted (else which quota it exceeds, with its limit and usage).
 */
public final class QuotaCheck {
    private QuotaCheck() {
    }

    /**
     * How many more instances of {@code memoryMbEach} MiB the namespace may hold with {@code used} already held:
     * {@link Integer#MAX_VALUE} without limits, 0 when a limit is reached (or already exceeded, e.g. after an admin
     * lowered it).
     */
    public static int headroom(NamespaceQuota quota, NamespaceUsage used, int memoryMbEach) {
        long room = Integer.MAX_VALUE;
        if (quota.instances().isPresent()) {
            room = Math.min(room, Math.max(0, quota.instances().getAsInt() - used.instances()));
        }
        if (quota.memoryMb().isPresent() && memoryMbEach > 0) {
            room = Math.min(room, Math.max(0, (quota.memoryMb().getAsLong() - used.memoryMb()) / memoryMbEach));
        }
        return (int) room;
    }

    /**
     * Whether {@code count} more instances of {@code memoryMbEach} MiB fit: empty when they do, else the refusal
     * naming the first quota they exceed (instances before memory).
     *
     * @param action what is asked, in words, for the message ("starting an instance of shop/cart")
     */
    public static Optional<QuotaExceeded> admit(String namespace, NamespaceQuota quota, NamespaceUsage used, int count,
                                                int memoryMbEach, String action) {
        if (count <= 0) {
            return Optional.empty();
        }
        if (quota.instances().isPresent() && (long) used.instances() + count > quota.instances().getAsInt()) {
            return Optional.of(new QuotaExceeded(namespace, NamespaceSettings.QUOTA_INSTANCES,
                    Integer.toString(quota.instances().getAsInt()), used.instances() + " instance(s)",
                    count + " instance(s)", action));
        }
        if (quota.memoryMb().isPresent() && used.memoryMb() + (long) count * memoryMbEach > quota.memoryMb().getAsLong()) {
            return Optional.of(new QuotaExceeded(namespace, NamespaceSettings.QUOTA_MEMORY,
                    NamespaceQuota.formatMemory(quota.memoryMb().getAsLong()), NamespaceQuota.formatMemory(used.memoryMb()),
                    NamespaceQuota.formatMemory((long) count * memoryMbEach) + " (" + count + " x " + memoryMbEach + "Mi)",
                    action));
        }
        return Optional.empty();
    }

    /** {@code desired} capped to what fits next to {@code others} (the namespace's other functions). */
    public static int cap(NamespaceQuota quota, NamespaceUsage others, int memoryMbEach, int desired) {
        return Math.min(desired, headroom(quota, others, memoryMbEach));
    }
}
