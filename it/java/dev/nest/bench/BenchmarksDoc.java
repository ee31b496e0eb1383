package dev.nest.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes one {@code ## ...} section of {@code docs/BENCHMARKS.md}: the section with the same heading is replaced
 * (up to the next {@code ## } heading), other sections are kept as they are, a missing section is appended and a
 * missing file is created. The file is replaced atomically.
 */
public final class BenchmarksDoc {
    static final String HEADER = """
            # Benchmarks

            Every figure in the README's Specification table comes from a benchmark in this repository. Each section
            below names the machine, the date and the command that produced it; rerun the command to check it.
            """;

    private BenchmarksDoc() {
    }

    /** Replaces (or adds) the section starting with the line {@code heading} with {@code heading + body}. */
    public static void writeSection(Path file, String heading, String body) {
        try {
            List<String> lines = Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8)
                    : new ArrayList<>(HEADER.lines().toList());
            String updated = replace(lines, heading, body);
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), ".BENCHMARKS-", ".md");
            Files.writeString(tmp, updated, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    static String replace(List<String> lines, String heading, String body) {
        List<String> section = new ArrayList<>();
        section.add(heading);
        section.add("");
        section.addAll(body.strip().lines().toList());
        int start = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).strip().equals(heading)) {
                start = i;
                break;
            }
        }
        List<String> out = new ArrayList<>();
        if (start < 0) {
            out.addAll(lines);
            while (!out.isEmpty() && out.getLast().isBlank()) {
                out.removeLast();
            }
            out.add("");
            out.addAll(section);
        } else {
            int end = lines.size();
            for (int i = start + 1; i < lines.size(); i++) {
                if (lines.get(i).startsWith("## ")) {
                    end = i;
                    break;
                }
            }
            out.addAll(lines.subList(0, start));
            out.addAll(section);
            if (end < lines.size()) {
                out.add("");
                out.addAll(lines.subList(end, lines.size()));
            }
        }
        return String.join("\n", out).stripTrailing() + "\n";
    }
}
