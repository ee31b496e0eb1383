package dev.nest.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs wrk ({@code -t1 -c<connections> -d<seconds>s --latency}) against one URL and reads its report.
 * A run that wrk cannot complete, or that has no requests, fails with wrk's output.
 */
final class Wrk {
    private static final Pattern RPS = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    private static final Pattern TOTAL = Pattern.compile("(\\d+) requests in ");
    private static final Pattern PCT = Pattern.compile("^\\s+(50|75|90|99)%\\s+([0-9.]+)(us|ms|s|m)\\s*$", Pattern.MULTILINE);
    private static final Pattern NON2XX = Pattern.compile("Non-2xx or 3xx responses: (\\d+)");
    private static final Pattern SOCKET = Pattern.compile(
            "Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");

    /**
     * One wrk result.
     *
     * @param requestsPerSecond wrk's Requests/sec
     * @param p50Ms             median latency
     * @param p99Ms             99th percentile latency
     * @param requests          requests completed
     * @param non2xx            responses that were not 2xx/3xx
     * @param socketErrors      connect + read + write + timeout errors
     */
    record Result(double requestsPerSecond, double p50Ms, double p90Ms, double p99Ms, long requests, long non2xx,
                  long socketErrors) {
        long errors() {
            return non2xx + socketErrors;
        }
    }

    private final ChildProcesses children;
    private final String binary;
    private final Path logDir;
    private int runs;

    Wrk(ChildProcesses children, String binary, Path logDir) {
        this.children = children;
        this.binary = binary;
        this.logDir = logDir;
    }

    /** Runs wrk for {@code seconds} with {@code connections} connections on one thread. */
    Result run(String url, Map<String, String> headers, int connections, int seconds) {
        List<String> argv = new ArrayList<>(List.of(binary, "-t1", "-c" + connections, "-d" + seconds + "s",
                "--latency", "--timeout", "5s"));
        headers.forEach((k, v) -> {
            argv.add("-H");
            argv.add(k + ": " + v);
        });
        argv.add(url);
        Path log = logDir.resolve("wrk-" + (++runs) + ".txt");
        Process p = children.start("wrk", argv, Map.of(), null, log);
        try {
            if (!p.waitFor(seconds + 60L, TimeUnit.SECONDS)) {
                children.stop(p, Duration.ofSeconds(1));
                throw new IllegalStateException("wrk did not finish within " + (seconds + 60) + " s: " + argv);
            }
            children.stop(p, Duration.ofSeconds(1));
            String out = Files.readString(log, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IllegalStateException("wrk exited with " + p.exitValue() + " for " + url + ":\n" + out);
            }
            return parse(out, url);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    static Result parse(String out, String url) {
        Matcher rps = RPS.matcher(out);
        Matcher total = TOTAL.matcher(out);
        if (!rps.find() || !total.find() || Long.parseLong(total.group(1)) == 0) {
            throw new IllegalStateException("wrk completed no requests against " + url + ":\n" + out);
        }
        double p50 = Double.NaN;
        double p90 = Double.NaN;
        double p99 = Double.NaN;
        Matcher m = PCT.matcher(out);
        while (m.find()) {
            double ms = toMillis(Double.parseDouble(m.group(2)), m.group(3));
            switch (m.group(1)) {
                case "50" -> p50 = ms;
                case "90" -> p90 = ms;
                case "99" -> p99 = ms;
                default -> {
                }
            }
        }
        long non2xx = 0;
        Matcher n = NON2XX.matcher(out);
        if (n.find()) {
            non2xx = Long.parseLong(n.group(1));
        }
        long socket = 0;
        Matcher s = SOCKET.matcher(out);
        if (s.find()) {
            for (int i = 1; i <= 4; i++) {
                socket += Long.parseLong(s.group(i));
            }
        }
        return new Result(Double.parseDouble(rps.group(1)), p50, p90, p99, Long.parseLong(total.group(1)), non2xx, socket);
    }

    private static double toMillis(double v, String unit) {
        return switch (unit.toLowerCase(Locale.ROOT)) {
            case "us" -> v / 1000;
            case "ms" -> v;
            case "s" -> v * 1000;
            case "m" -> v * 60_000;
            default -> throw new IllegalArgumentException("unknown wrk unit " + unit);
        };
    }
}
