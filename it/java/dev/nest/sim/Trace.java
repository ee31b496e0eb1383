package dev.nest.sim;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * The 500-function sample of the Azure Functions 2019 trace (Shahrad et al., USENIX ATC 2020; CC-BY 4.0):
 * per-minute invocation counts ({@code 500_inv.csv}), average durations ({@code 500_run.csv}) and average
 * allocated memory ({@code 500_mem.csv}), joined on the function hash (the sampler repeats it as the app hash).
 * Each file may be gzip-compressed ({@code .csv.gz}); the repository ships the sample so under
 * {@code distribution/data/azure2019/}.
 */
public record Trace(List<Function> functions, int minutes) {

    /** One function: its per-minute counts, its average duration and memory. */
    public record Function(int index, String hash, int[] perMinute, long durationMs, int memoryMb, long invocations) {
    }

    public static Trace load(Path dir) throws IOException {
        Map<String, Long> durations = new HashMap<>();
        try (BufferedReader r = open(dir, "500_run.csv")) {
            int avg = columns(r.readLine()).indexOf("Average");
            for (String line; (line = r.readLine()) != null; ) {
                String[] f = line.split(",");
                durations.put(f[0], Math.max(1, Math.round(Double.parseDouble(f[avg]))));
            }
        }
        Map<String, Integer> memory = new HashMap<>();
        try (BufferedReader r = open(dir, "500_mem.csv")) {
            int avg = columns(r.readLine()).indexOf("AverageAllocatedMb");
            for (String line; (line = r.readLine()) != null; ) {
                String[] f = line.split(",");
                memory.put(f[0], Math.max(1, (int) Math.round(Double.parseDouble(f[avg]))));
            }
        }
        List<Function> out = new ArrayList<>();
        int minutes;
        try (BufferedReader r = open(dir, "500_inv.csv")) {
            List<String> header = columns(r.readLine());
            int first = header.indexOf("minute_1");
            minutes = header.size() - first;
            for (String line; (line = r.readLine()) != null; ) {
                String[] f = line.split(",");
                int[] counts = new int[minutes];
                long total = 0;
                for (int m = 0; m < minutes; m++) {
                    counts[m] = Integer.parseInt(f[first + m].trim());
                    total += counts[m];
                }
                Long d = durations.get(f[0]);
                Integer mem = memory.get(f[1]);
                if (d == null || mem == null) {
                    throw new IOException("function " + f[0] + " has no duration or memory row");
                }
                out.add(new Function(out.size(), f[0], counts, d, mem, total));
            }
        }
        return new Trace(List.copyOf(out), minutes);
    }

    /** {@code name} in {@code dir}, or its gzip-compressed form {@code name.gz} (as the repository ships it). */
    static BufferedReader open(Path dir, String name) throws IOException {
        Path plain = dir.resolve(name);
        if (Files.isRegularFile(plain)) {
            return Files.newBufferedReader(plain, StandardCharsets.UTF_8);
        }
        Path gz = dir.resolve(name + ".gz");
        if (Files.isRegularFile(gz)) {
            return new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(gz), 1 << 16),
                    StandardCharsets.UTF_8));
        }
        throw new IOException("no " + plain + " nor " + gz);
    }

    private static List<String> columns(String header) throws IOException {
        if (header == null) {
            throw new IOException("empty CSV file");
        }
        return List.of(header.trim().split(","));
    }

    long invocations() {
        return functions.stream().mapToLong(Function::invocations).sum();
    }
}
