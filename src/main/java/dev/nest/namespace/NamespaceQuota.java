package dev.nest.namespace;

import java.util.Locale;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The most a namespace may hold across the region: {@code quota.instances} instances (of all its functions, on all
 * nodes) and {@code quota.memory} MiB, the sum of its instances' function memory. Either may be absent (no limit).
 *
 * @param instances most instances, 0 to {@value #MAX_INSTANCES} (0 stops the namespace from running anything)
 * @param memoryMb  most memory in MiB, 0 to {@value #MAX_MEMORY_MB}
 */
public record NamespaceQuota(OptionalInt instances, OptionalLong memoryMb) {
    public static final int MAX_INSTANCES = 1_000_000;
    public static final long MAX_MEMORY_MB = 1L << 40;
    /** No limit at all. */
    public static final NamespaceQuota NONE = new NamespaceQuota(OptionalInt.empty(), OptionalLong.empty());
    /** The allowed form of {@code quota.memory}, for error messages. */
    public static final String MEMORY_ALLOWED = "a size like \"512Mi\", \"8Gi\" or \"1Ti\" (also MiB, GiB, TiB; "
            + "a bare number is MiB)";
    private static final Pattern MEMORY = Pattern.compile("\\s*(\\d{1,15})\\s*(mi|mib|gi|gib|ti|tib)?\\s*");

    public NamespaceQuota {
        if (instances.isPresent() && (instances.getAsInt() < 0 || instances.getAsInt() > MAX_INSTANCES)) {
            throw new IllegalArgumentException("key 'quota.instances': value " + instances.getAsInt() + " is not valid; "
                    + "allowed: a whole number from 0 to " + MAX_INSTANCES);
        }
        if (memoryMb.isPresent() && (memoryMb.getAsLong() < 0 || memoryMb.getAsLong() > MAX_MEMORY_MB)) {
            throw new IllegalArgumentException("key 'quota.memory': value " + memoryMb.getAsLong() + "Mi is not valid; "
                    + "allowed: " + MEMORY_ALLOWED + ", at most " + (MAX_MEMORY_MB >> 20) + "Ti");
        }
    }

    public static NamespaceQuota of(int instances, long memoryMb) {
        return new NamespaceQuota(OptionalInt.of(instances), OptionalLong.of(memoryMb));
    }

    /** Whether either limit is set. */
    public boolean limited() {
        return instances.isPresent() || memoryMb.isPresent();
    }

    /**
     * Parses {@code quota.memory} into MiB ({@link #MEMORY_ALLOWED}).
     *
     * @throws IllegalArgumentException naming the key, the value and the allowed form
     */
    public static long parseMemory(String text) {
        Matcher m = text == null ? null : MEMORY.matcher(text.toLowerCase(Locale.ROOT));
        if (m == null || !m.matches()) {
            throw new IllegalArgumentException("key 'quota.memory': value '" + text + "' is not valid; allowed: "
                    + MEMORY_ALLOWED);
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "mi" : m.group(2);
        long mb = switch (unit.charAt(0)) {
            case 'g' -> n * 1024;
            case 't' -> n * 1024 * 1024;
            default -> n;
        };
        if (mb < 0 || mb > MAX_MEMORY_MB || n > MAX_MEMORY_MB) {
            throw new IllegalArgumentException("key 'quota.memory': value '" + text + "' is too large; allowed: "
                    + MEMORY_ALLOWED + ", at most " + (MAX_MEMORY_MB >> 20) + "Ti");
        }
        return mb;
    }

    /** MiB as the shortest exact text: "8Gi", "1536Mi". */
    public static String formatMemory(long mb) {
        if (mb > 0 && mb % (1024 * 1024) == 0) {
            return mb / (1024 * 1024) + "Ti";
        }
        if (mb > 0 && mb % 1024 == 0) {
            return mb / 1024 + "Gi";
        }
        return mb + "Mi";
    }
}
