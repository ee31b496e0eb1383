package dev.nest.driver.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@link ProcessTable} read from Linux's {@code /proc}.
 *
 * <p>Limits: a process may exit between a listing and a kill, and its pid may (rarely) be reused in between;
 * {@link #byUid} is a scan of every process (a few milliseconds on a busy machine).
 */
final class ProcFs implements ProcessTable {
    static final ProcFs SYSTEM = new ProcFs(Path.of("/proc"));

    private final Path root;

    ProcFs(Path root) {
        this.root = root;
    }

    @Override
    public Optional<ProcessRecord> read(long pid) {
        Path dir = root.resolve(Long.toString(pid));
        try {
            long start = startTicks(Files.readString(dir.resolve("stat"), StandardCharsets.UTF_8));
            int uid = realUid(dir);
            if (uid < 0) {
                return Optional.empty();
            }
            byte[] raw = Files.readAllBytes(dir.resolve("cmdline"));
            return Optional.of(new ProcessRecord(pid, start, uid, splitCmdline(raw)));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Field 22 of a {@code stat} line; the command name (field 2) may hold spaces and parentheses. */
    static long startTicks(String stat) {
        int close = stat.lastIndexOf(')');
        if (close < 0) {
            throw new IllegalArgumentException("not a /proc stat line: " + stat);
        }
        String[] rest = stat.substring(close + 1).trim().split("\\s+");
        // rest[0] is field 3 (state), so field 22 is rest[19]
        return Long.parseLong(rest[19]);
    }

    static List<String> splitCmdline(byte[] raw) {
        if (raw.length == 0) {
            return List.of();
        }
        String s = new String(raw, StandardCharsets.UTF_8);
        if (s.endsWith("\0")) {
            s = s.substring(0, s.length() - 1);
        }
        return Arrays.asList(s.split("\0", -1));
    }

    private static int realUid(Path dir) throws IOException {
        for (String line : Files.readAllLines(dir.resolve("status"), StandardCharsets.UTF_8)) {
            if (line.startsWith("Uid:")) {
                return Integer.parseUnsignedInt(line.substring(4).trim().split("\\s+")[0]);
            }
        }
        return -1;
    }

    @Override
    public Map<Integer, List<Long>> byUid(int from, int count) {
        Map<Integer, List<Long>> out = new HashMap<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (name.isEmpty() || !Character.isDigit(name.charAt(0))) {
                    continue;
                }
                try {
                    int uid = realUid(p);
                    if (uid >= from && uid - from < count) {
                        out.computeIfAbsent(uid, u -> new ArrayList<>()).add(Long.parseLong(name));
                    }
                } catch (IOException | RuntimeException gone) {
                    // exited during the scan
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot list " + root, e);
        }
        return out;
    }

    @Override
    public void kill(long pid) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }

    @Override
    public int selfUid() {
        try {
            return realUid(root.resolve("self"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + root.resolve("self/status"), e);
        }
    }
}
