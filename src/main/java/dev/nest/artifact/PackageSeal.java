package dev.nest.artifact;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What a committed package directory held when it was committed, kept beside it ({@code seals/<hex>}) so that a
 * start after a host crash can tell a package whose files did not all reach the disk (the code path does not fsync,
 * ADR 0027): the directory's file count and bytes, and the files the preparation step added (a Java function's
 * compiled classes) with their sha256, which the content digest does not cover. Text form:
 * <pre>
 *   nest-seal/1 sha256:&lt;hex&gt; &lt;files&gt; &lt;bytes&gt;
 *   x &lt;sha256 hex&gt; &lt;path&gt;      (one line per added file)
 *   end
 * </pre>
 * The closing {@code end} line makes a cut-short seal unparseable, so a damaged seal is never read as a smaller one.
 * Immutable; the checks read the disk and are thread-safe.
 *
 * @param files  regular files in the committed directory (the package's and the added ones)
 * @param bytes  their total size
 * @param extra  path to sha256 hex of each file the preparation step added
 */
record PackageSeal(String digest, int files, long bytes, Map<String, String> extra) {
    static final String FORMAT = "nest-seal/1";

    PackageSeal {
        extra = Map.copyOf(extra);
    }

    String render() {
        StringBuilder sb = new StringBuilder(FORMAT).append(' ').append(digest).append(' ').append(files).append(' ')
                .append(bytes).append('\n');
        new TreeMap<>(extra).forEach((p, h) -> sb.append("x ").append(h).append(' ').append(p).append('\n'));
        return sb.append("end\n").toString();
    }

    /** The seal in {@code text}, or empty when it is not a whole, well-formed seal (a crash may cut or zero it). */
    static Optional<PackageSeal> parse(String text) {
        String[] lines = text.split("\n", -1);
        if (lines.length < 3 || !lines[lines.length - 1].isEmpty() || !lines[lines.length - 2].equals("end")) {
            return Optional.empty();
        }
        String[] head = lines[0].split(" ");
        if (head.length != 4 || !head[0].equals(FORMAT) || !head[1].matches("sha256:[0-9a-f]{64}")
                || !head[2].matches("\\d{1,9}") || !head[3].matches("\\d{1,18}")) {
            return Optional.empty();
        }
        Map<String, String> extra = new TreeMap<>();
        for (int i = 1; i < lines.length - 2; i++) {
            String l = lines[i];
            if (l.length() < 68 || !l.startsWith("x ") || l.charAt(66) != ' ' || !l.substring(2, 66).matches("[0-9a-f]{64}")) {
                return Optional.empty();
            }
            extra.put(l.substring(67), l.substring(2, 66));
        }
        return Optional.of(new PackageSeal(head[1], Integer.parseInt(head[2]), Long.parseLong(head[3]), extra));
    }

    /**
     * The seal of directory {@code dir} as it is now, holding the package files {@code packageFiles} (relative
     * paths): counts every regular file and hashes those the package does not name (added by a preparation step).
     */
    static PackageSeal of(String digest, Path dir, java.util.Set<String> packageFiles) throws IOException {
        Map<String, String> extra = new TreeMap<>();
        long[] totals = {0, 0};
        try (var s = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) s::iterator) {
                if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                totals[0]++;
                totals[1] += Files.size(f);
                String rel = relative(dir, f);
                if (!packageFiles.contains(rel)) {
                    extra.put(rel, Digests.hashFile(f));
                }
            }
        }
        return new PackageSeal(digest, (int) totals[0], totals[1], extra);
    }

    /** A seal counted from what the unpacking wrote, when no preparation step ran (nothing to walk or hash). */
    static PackageSeal unprepared(String digest, int files, long bytes) {
        return new PackageSeal(digest, files, bytes, Map.of());
    }

    static String relative(Path dir, Path f) {
        return dir.relativize(f).toString().replace('\\', '/');
    }

    byte[] bytesUtf8() {
        return render().getBytes(StandardCharsets.UTF_8);
    }
}
