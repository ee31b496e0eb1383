package dev.nest.it;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;

/**
 * An open-loop load generator for the overload test and benchmark: sends {@code GET uri} at a fixed rate for a
 * fixed time whatever the answers (a closed loop would slow down with the server and hide the overload), then waits
 * for every answer. Counts statuses, keeps the latencies of the successes, the successes per second of the run, and
 * every refusal (429, 503) that lacks a {@code Retry-After} header or a JSON {@code retryAfterSeconds} equal to it.
 * A request without an answer within {@code timeout} counts as status {@code -1}.
 */
public final class OverloadRun {
    /**
     * The function put under overload by {@code OverloadIT} and the benchmark: 100 ms per request, concurrency 1, two
     * instances kept warm, at most 2 requests waiting for at most 1 s (so that an admitted request waits at most about
     * one execution).
     */
    public static final String SLOW_SPEC = "deploy: dedicated\nconcurrency: 1\nscaling:\n  min: 2\n  max: 2\nqueue:\n  size: 2\n  timeout: 1s\n";
    public static final String SLOW_CODE = """
            exports.handler = async () => {
              await new Promise((resolve) => setTimeout(resolve, 100));
              return { ok: true };
            };
            """;
    /** Requests a second the slow function can serve: 2 instances x 1 request x 10 a second. */
    public static final double CAPACITY = 20;

    /**
     * @param statuses          answers by status ({@code -1}: none in time, or a broken connection)
     * @param refusalsWithoutHint 429s and 503s without a matching {@code Retry-After}/{@code retryAfterSeconds}, described
     * @param successMillis     the latencies of the 2xx answers, sorted
     * @param successesPerSecond 2xx answers by the second of the run their request was sent in
     * @param seconds           how long the load was offered
     * @param sent              requests sent
     */
    public record Result(Map<Integer, Integer> statuses, List<String> refusalsWithoutHint, List<Double> successMillis,
                         int[] successesPerSecond, double seconds, int sent) {
        public int count(int status) {
            return statuses.getOrDefault(status, 0);
        }

        public int successes() {
            return successMillis.size();
        }

        /** Successes per second of the run. */
        public double goodput() {
            return successes() / seconds;
        }

        /** The {@code p}-th percentile of the successes' latency, in ms (0 without successes). */
        public double successPercentile(double p) {
            return percentile(successMillis, p);
        }
    }

    private OverloadRun() {
    }

    /** The {@code p}-th percentile (nearest rank) of sorted {@code values}; 0 when empty. */
    public static double percentile(List<Double> sorted, double p) {
        if (sorted.isEmpty()) {
            return 0;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    /** Sends {@code rps} requests a second to {@code uri} for {@code duration}; waits for the answers. */
    public static Result run(HttpClient client, URI uri, double rps, Duration duration, Duration timeout) {
        long interval = (long) (1e9 / rps);
        int n = (int) Math.round(rps * duration.toNanos() / 1e9);
        int seconds = (int) Math.ceil(duration.toNanos() / 1e9);
        Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
        ConcurrentLinkedQueue<String> missingHints = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Double> success = new ConcurrentLinkedQueue<>();
        AtomicIntegerArray perSecond = new AtomicIntegerArray(seconds + 1);
        List<CompletableFuture<?>> pending = new ArrayList<>(n);
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            long due = start + i * interval;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            long t0 = System.nanoTime();
            int second = (int) Math.min(seconds, (t0 - start) / 1_000_000_000L);
            HttpRequest req = HttpRequest.newBuilder(uri).timeout(timeout).GET().build();
            pending.add(client.sendAsync(req, HttpResponse.BodyHandlers.ofByteArray()).handle((r, error) -> {
                int status = error != null ? -1 : r.statusCode();
                statuses.merge(status, 1, Integer::sum);
                if (status >= 200 && status < 300) {
                    success.add((System.nanoTime() - t0) / 1e6);
                    perSecond.incrementAndGet(second);
                } else if (status == 429 || status == 503) {
                    hint(r).ifPresent(missingHints::add);
                }
                return null;
            }));
        }
        double offered = (System.nanoTime() - start) / 1e9;
        CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).join();
        List<Double> sorted = new ArrayList<>(success);
        Collections.sort(sorted);
        int[] ps = new int[seconds];
        for (int i = 0; i < seconds; i++) {
            ps[i] = perSecond.get(i);
        }
        return new Result(new TreeMap<>(statuses), List.copyOf(missingHints), sorted, ps, Math.max(offered,
                duration.toNanos() / 1e9), n);
    }

    /** What is wrong with a refusal's retry hint, or empty when its header and body agree on 1..60 seconds. */
    static java.util.Optional<String> hint(HttpResponse<byte[]> r) {
        java.util.Optional<String> header = r.headers().firstValue("retry-after");
        String body = new String(r.body(), java.nio.charset.StandardCharsets.UTF_8);
        if (header.isEmpty() || !header.get().matches("\\d{1,2}")) {
            return java.util.Optional.of(r.statusCode() + " without a Retry-After of whole seconds: " + header + " " + body);
        }
        try {
            JsonNode json = Http.JSON.readTree(r.body());
            int seconds = Integer.parseInt(header.get());
            if (seconds < 1 || seconds > 60 || json.path("retryAfterSeconds").asInt(-1) != seconds) {
                return java.util.Optional.of(r.statusCode() + " whose Retry-After " + seconds
                        + " is not 1..60 or differs from retryAfterSeconds: " + body);
            }
            return java.util.Optional.empty();
        } catch (java.io.IOException e) {
            return java.util.Optional.of(r.statusCode() + " without a JSON body: " + body);
        }
    }
}
