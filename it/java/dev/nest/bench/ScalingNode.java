package dev.nest.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.NestServer;
import dev.nest.artifact.PackageWriter;
import dev.nest.common.Json;
import dev.nest.config.NestConfig;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Nest node in-process (embedded defaults, the {@code process} driver) for the scaling benchmarks: a Node.js
 * function that waits {@code WORK_MS} per request, an open-loop load generator (each request sent at its planned
 * time on its own virtual thread, whatever the earlier ones are doing) and the scaling API.
 */
final class ScalingNode implements AutoCloseable {
    /** One request's outcome. */
    record Sample(long sentNanos, double latencyMs, int status, boolean cold) {
    }

    private final NestServer server;
    private final String base;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final String digest;
    final ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
    final AtomicInteger inFlight = new AtomicInteger();

    ScalingNode(Path tmp, int maxPods) throws Exception {
        Path fns = Files.createDirectories(tmp.resolve("functions"));
        NestConfig d = NestConfig.defaults().withPort(0).withDataDir(tmp.resolve("data")).withFunctionsDir(fns)
                .withRuntimesDir(Path.of("runtimes").toAbsolutePath());
        NestConfig.Sidecar sc = d.sidecar();
        // room for every instance the scaler asks for: the pod limit is not what these benchmarks measure
        NestConfig config = new NestConfig(d.dataDir(), d.functionsDir(), d.runtimesDir(), d.server(), d.node(), d.cluster(),
                new NestConfig.Sidecar(sc.driver(), sc.portFrom(), sc.portTo(), sc.startTimeout(), maxPods, sc.stopGrace(),
                        sc.drivers()), d.store(), d.async());
        server = BenchAuth.started(NestServer.start(config));
        // the node's pods are child processes: stop them on Ctrl-C too
        Runtime.getRuntime().addShutdownHook(new Thread(this::close));
        base = "http://127.0.0.1:" + server.port();
        Path code = Files.createDirectories(tmp.resolve("code"));
        Files.writeString(code.resolve("index.js"), """
                const work = Number(process.env.WORK_MS || '0');
                exports.handler = async () => {
                  if (work > 0) await new Promise(r => setTimeout(r, work));
                  return {ok: true};
                };
                """);
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        PackageWriter.zip(code, zip);
        digest = send(BenchAuth.request(URI.create(base + "/api/v1/artifacts"))
                .header("Content-Type", "application/zip").POST(HttpRequest.BodyPublishers.ofByteArray(zip.toByteArray())))
                .path("digest").asText();
    }

    String base() {
        return base;
    }

    /** Deploys {@code name} waiting {@code workMs} per request, one request per instance, with {@code scaling}. */
    void deploy(String name, int workMs, int memoryMb, Map<String, Object> scaling) throws Exception {
        Map<String, Object> spec = Map.of("runtime", "nodejs", "deploy", "dedicated", "concurrency", 1, "memory", memoryMb,
                "env", Map.of("WORK_MS", String.valueOf(workMs)), "scaling", scaling, "queue", Map.of("size", 10000, "timeout", "60s"));
        post(base + "/api/v1/functions/" + name + "/versions", Map.of("spec", spec, "digest", digest));
    }

    /** Sends one invocation of {@code name} and waits for its answer (the first instance is started). */
    void warm(String name) throws Exception {
        HttpResponse<byte[]> r = http.send(BenchAuth.request(URI.create(base + "/fn/" + name))
                .timeout(Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("the first invocation of " + name + " answered " + r.statusCode() + ": "
                    + new String(r.body()));
        }
    }

    /** Sends one invocation of {@code name} now, on a virtual thread; the outcome lands in {@link #samples}. */
    void fire(String name) {
        long sent = System.nanoTime();
        inFlight.incrementAndGet();
        Thread.startVirtualThread(() -> {
            int status;
            boolean cold = false;
            try {
                HttpResponse<byte[]> r = http.send(BenchAuth.request(URI.create(base + "/fn/" + name))
                        .timeout(Duration.ofSeconds(90)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
                status = r.statusCode();
                cold = r.headers().firstValue("x-nest-cold").map("true"::equals).orElse(false);
            } catch (Exception e) {
                status = -1;
            }
            samples.add(new Sample(sent, (System.nanoTime() - sent) / 1e6, status, cold));
            inFlight.decrementAndGet();
        });
    }

    JsonNode scaling(String name) throws Exception {
        return send(BenchAuth.request(URI.create(base + "/api/v1/functions/" + name + "/scaling")).GET());
    }

    /** Sets the warm pool of {@code runtime} to {@code size} pods and waits (at most {@code limit}) until they are ready. */
    void pool(String runtime, int size, Duration limit) throws Exception {
        send(BenchAuth.request(URI.create(base + "/api/v1/pools/" + runtime)).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(Json.bytes(Map.of("size", size)))));
        long end = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < end) {
            for (JsonNode p : send(BenchAuth.request(URI.create(base + "/api/v1/pools")).GET())) {
                if (p.path("runtime").asText().equals(runtime) && p.path("ready").asInt() >= size) {
                    return;
                }
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("the " + runtime + " pool did not reach " + size + " ready pods within " + limit);
    }

    JsonNode instances() throws Exception {
        return send(BenchAuth.request(URI.create(base + "/api/v1/instances")).GET());
    }

    /** Waits until no request sent by {@link #fire} is in flight (at most {@code limit}). */
    void drain(Duration limit) throws InterruptedException {
        long end = System.nanoTime() + limit.toNanos();
        while (inFlight.get() > 0 && System.nanoTime() < end) {
            Thread.sleep(20);
        }
    }

    static double percentile(List<Double> values, double p) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    private JsonNode post(String url, Object body) throws Exception {
        return send(BenchAuth.request(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Json.bytes(body))));
    }

    private JsonNode send(HttpRequest.Builder b) throws Exception {
        HttpResponse<byte[]> r = http.send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() >= 300) {
            throw new IllegalStateException("HTTP " + r.statusCode() + ": " + new String(r.body()));
        }
        return Json.tree(r.body(), "response");
    }

    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            server.close();
        }
    }
}
