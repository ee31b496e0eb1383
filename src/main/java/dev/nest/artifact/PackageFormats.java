package dev.nest.artifact;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which manifest format a node writes for the packages it builds from uploads, gated like a new on-disk format in a
 * clustered store: a node writes format 2 ({@value ChunkManifest#FORMAT_PER_CHUNK}, a codec per chunk with
 * {@link ChunkCodecs.Policy#FAST_LARGE}) only when every live registered node advertises that it reads it, or once
 * the cluster has recorded that format 2 is in use (the ratchet: the choice never flaps back when an older node joins
 * later; that node refuses format-2 manifests with its 400 naming the format). Otherwise format 1
 * ({@value ChunkManifest#FORMAT}, every chunk the package's codec), which every release reads. The operator can pin
 * either with {@code artifacts.package-format}.
 *
 * <p>{@link #decide} is a pure function of the setting, the live nodes' advertisements and the ratchet; table-tested.
 * {@link #advertised} parses what a node advertised (hostile values read as "format 1 only"). ADR 0027, addendum
 * "Format 2 by default, gated by the cluster".
 */
public final class PackageFormats {
    /** Format 1: {@value ChunkManifest#FORMAT}, read by every release. */
    public static final int V1 = 1;
    /** Format 2: {@value ChunkManifest#FORMAT_PER_CHUNK}, read by this release and later ones. */
    public static final int V2 = 2;
    /** What this release reads, as advertised in its registration: {@code "1,2"}. */
    public static final String READS = V1 + "," + V2;
    /** The longest advertisement parsed; longer ones are hostile and read as format 1 only. */
    static final int MAX_ADVERTISED_CHARS = 64;

    private PackageFormats() {
    }

    /** {@code artifacts.package-format}: {@code auto} (gated by the cluster), {@code 1} or {@code 2} (pinned). */
    public enum Setting {
        AUTO("auto"), FORMAT_1("1"), FORMAT_2("2");

        private final String value;

        Setting(String value) {
            this.value = value;
        }

        /** The configuration value: {@code auto}, {@code 1} or {@code 2}. */
        public String value() {
            return value;
        }

        /**
         * Parses a configuration value (case and surrounding blanks ignored).
         *
         * @throws IllegalArgumentException naming the value and what is allowed
         */
        public static Setting parse(String value) {
            String v = value == null ? "" : value.strip().toLowerCase(Locale.ROOT);
            for (Setting s : values()) {
                if (s.value.equals(v)) {
                    return s;
                }
            }
            throw new IllegalArgumentException("'" + value + "' is not a package format; allowed: auto, 1, 2");
        }
    }

    /** One live registered node and the formats it reads ({@link #advertised}); {@code note} says why when unclear. */
    public record Node(String id, Set<Integer> reads, String note) {
        public Node {
            reads = Set.copyOf(reads);
        }

        public Node(String id, Set<Integer> reads) {
            this(id, reads, "");
        }
    }

    /**
     * What to write.
     *
     * @param format  {@link #V1} or {@link #V2}
     * @param policy  the chunk codec policy for packages whose uploader named no codec ({@link
     *                ChunkCodecs.Policy#UNIFORM} for format 1)
     * @param ratchet whether the caller should record now that format 2 is in use (format 2 chosen, not yet recorded)
     * @param reason  one sentence for the log and the error a refused upload gets
     */
    public record Decision(int format, ChunkCodecs.Policy policy, boolean ratchet, String reason) {
        /** Whether format 2 manifests may be written and accepted from uploads. */
        public boolean perChunk() {
            return format == V2;
        }
    }

    /** Answers the current decision; the artifact store asks it for every package it builds or accepts from an upload. */
    @FunctionalInterface
    public interface Source {
        Decision current();
    }

    /** A node outside a cluster (tests, tools, the benchmark's store): only it reads its packages, so format 2. */
    public static final Source LOCAL = () -> new Decision(V2, ChunkCodecs.Policy.FAST_LARGE, false,
            "this store is not part of a cluster");

    /**
     * The formats a node reads, from its advertisement ({@code "1,2"}); empty (a node of a release before the
     * advertisement) reads format 1. Hostile values never widen the set: unknown numbers and garbage are ignored,
     * format 1 is always included (every release reads it), and an advertisement longer than {@value
     * #MAX_ADVERTISED_CHARS} characters is read as format 1 only.
     */
    public static Set<Integer> advertised(String value) {
        Set<Integer> out = new TreeSet<>();
        out.add(V1);
        if (value == null || value.length() > MAX_ADVERTISED_CHARS) {
            return Set.copyOf(out);
        }
        for (String part : value.split(",", -1)) {
            String p = part.strip();
            if (p.equals("2")) {
                out.add(V2);
            }
        }
        return Set.copyOf(out);
    }

    /**
     * The decision for {@code setting}, given the live registered nodes ({@code live}, this node included) and whether
     * the cluster recorded that format 2 is in use ({@code ratcheted}).
     * <ul>
     *   <li>{@code 1}: format 1, always (format-2 packages already stored stay readable by this release's nodes).</li>
     *   <li>{@code 2}: format 2, always; the ratchet is recorded (format-2 packages now exist).</li>
     *   <li>{@code auto}: format 2 when ratcheted (an older node that joined since refuses those packages with a 400;
     *       the reason names it), or when every live node reads format 2 (none listed: format 1, nothing is known
     *       yet); else format 1, naming the nodes that do not read format 2.</li>
     * </ul>
     */
    public static Decision decide(Setting setting, List<Node> live, boolean ratcheted) {
        List<String> old = new ArrayList<>();
        for (Node n : live) {
            if (!n.reads().contains(V2)) {
                old.add(n.note().isEmpty() ? n.id() : n.id() + " (" + n.note() + ")");
            }
        }
        String olds = String.join(", ", old.subList(0, Math.min(5, old.size()))) + (old.size() > 5 ? ", ..." : "");
        return switch (setting) {
            case FORMAT_1 -> new Decision(V1, ChunkCodecs.Policy.UNIFORM, false,
                    "artifacts.package-format is 1: packages are written as " + ChunkManifest.FORMAT);
            case FORMAT_2 -> new Decision(V2, ChunkCodecs.Policy.FAST_LARGE, !ratcheted,
                    "artifacts.package-format is 2: packages are written as " + ChunkManifest.FORMAT_PER_CHUNK
                            + (old.isEmpty() ? "" : "; node(s) " + olds + " do not read it and refuse those packages"));
            case AUTO -> {
                if (ratcheted) {
                    yield new Decision(V2, ChunkCodecs.Policy.FAST_LARGE, false, "the cluster writes "
                            + ChunkManifest.FORMAT_PER_CHUNK + " since every node read it (recorded in ZooKeeper)"
                            + (old.isEmpty() ? "" : "; node(s) " + olds + " joined since, do not read it and refuse"
                            + " those packages with 400: upgrade them"));
                }
                if (live.isEmpty()) {
                    yield new Decision(V1, ChunkCodecs.Policy.UNIFORM, false, "no registered node is known yet: "
                            + ChunkManifest.FORMAT + " until every node is known to read " + ChunkManifest.FORMAT_PER_CHUNK);
                }
                if (old.isEmpty()) {
                    yield new Decision(V2, ChunkCodecs.Policy.FAST_LARGE, true, "every live node (" + live.size()
                            + ") reads " + ChunkManifest.FORMAT_PER_CHUNK);
                }
                yield new Decision(V1, ChunkCodecs.Policy.UNIFORM, false, "node(s) " + olds + " do not read "
                        + ChunkManifest.FORMAT_PER_CHUNK + ": packages are written as " + ChunkManifest.FORMAT
                        + " until every node is upgraded (or artifacts.package-format is set)");
            }
        };
    }
}
