package dev.nest.it.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.it.Engines;
import dev.nest.it.Fixtures;
import dev.nest.it.Http;
import dev.nest.it.Poll;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The cron trigger on three Nest processes sharing one external ZooKeeper: an event-only function ({@code http:
 * false}) with a six-field schedule every 2 s ({@code misfire: fire-once}) appends each tick it receives to a file;
 * the leader hangs mid-run ({@code kill -STOP}, so ticks are missed until its session expires), is killed
 * ({@code kill -9}) after a successor took over and fired a while, and is started again
 * (so that events its queue held are delivered). Then every tick from the first to the last is accounted for:
 * fired exactly once, or missed and counted by the next fired tick's {@code nestmissed} (fire-once: the ticks missed
 * while no leader fired fire once, as the latest of them). No tick fires twice.
 */
class CronIT {
    private static final String REGION = "it-cron";
    private static final Duration PERIOD = Duration.ofSeconds(2);
    static Path scratch;
    static TestingServer zookeeper;
    static final List<NestProcess> nodes = new ArrayList<>();
    static Path ticks;

    @BeforeAll
    static void start() throws Exception {
        Engines.requireNode();
        scratch = Files.createDirectories(Fixtures.projectRoot().resolve("target/it-cron/" + System.currentTimeMillis()));
        zookeeper = new TestingServer(true);
        String[][] layout = {{"c1", "127.0.0.1"}, {"c2", "127.0.0.2"}, {"c3", "127.0.0.3"}};
        for (int i = 0; i < layout.length; i++) {
            int from = 34_000 + i * 1_000;
            nodes.add(NestProcess.start(layout[i][0], layout[i][1], Fixtures.freePort(layout[i][1]), "zone-a", REGION,
                    zookeeper.getConnectString(), from + "-" + (from + 999), scratch.resolve(layout[i][0])));
        }
        ticks = tickFile();
    }

    @AfterAll
    static void stop() throws IOException {
        for (NestProcess n : nodes) {
            n.close();
        }
        if (zookeeper != null) {
            zookeeper.close();
        }
        if (ticks != null) { // the ticks' folder under the temporary folder: out/ticks.log, out, its home
            Path out = ticks.getParent();
            Files.deleteIfExists(ticks);
            Files.deleteIfExists(out);
            Files.deleteIfExists(out.getParent());
        }
    }

    /**
     * {@code <tmp>/nest-it-cron-*\/out/ticks.log}, writable by any pod (the process driver may run pods as their own
     * uids). It lives under the system's temporary folder, not under the checkout: a checkout in a folder only its
     * owner may enter (a CI workspace made with mktemp -d) would keep the pods out.
     */
    static Path tickFile() throws IOException {
        Path home = Files.createTempDirectory("nest-it-cron-");
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx--x--x"));
        Path out = Files.createDirectories(home.resolve("out"));
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path file = Files.createFile(out.resolve("ticks.log"));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
        return file;
    }

    @Test
    void everyTickFiresExactlyOnceAcrossALeaderKill() throws Exception {
        NestProcess first = nodes.getFirst();
        String js = """
                const fs = require('fs');
                exports.handler = async (event, context) => {
                  const ce = JSON.parse(event.body);
                  const fd = fs.openSync(%s, 'a');
                  try {
                    fs.writeSync(fd, ce.time + ' ' + ce.nestmissed + ' ' + context.invocationId + '\\n');
                    fs.fsyncSync(fd);
                  } finally {
                    fs.closeSync(fd);
                  }
                  return { ok: true };
                };
                """.formatted(Http.JSON.writeValueAsString(ticks.toString()));
        String digest = first.http.upload("nodejs", Fixtures.zip(scratch, Map.of("index.js", js)));
        Http.Response deployed = first.http.deploy("ticker", Map.of("runtime", "nodejs", "handler", "index.handler",
                "http", false, "triggers", List.of(Map.of("type", "cron", "name", "every-2s",
                        "schedule", "*/2 * * * * *", "misfire", "fire-once", "payload", Map.of("job", "tick")))), digest);
        assertTrue(deployed.status() / 100 == 2, deployed.toString());
        // a spec the cron trigger refuses is refused at deploy, naming the key
        Http.Response bad = first.http.postJson("/api/v1/functions/bad-cron/versions", Map.of("spec", Map.of(
                "runtime", "nodejs", "handler", "index.handler",
                "triggers", List.of(Map.of("type", "cron", "schedule", "every two seconds"))), "digest", digest));
        assertEquals(400, bad.status(), bad.toString());
        assertTrue(bad.text().contains("triggers[0].schedule"), bad.text());

        // event-only: its URL answers 404 on every node
        for (NestProcess n : nodes) {
            Poll.until("ticker known on " + n, () -> n.http.get("/api/v1/functions/ticker").status(), s -> s == 200);
            assertEquals(404, n.http.get("/fn/ticker").status(), "ticker's URL on " + n);
        }
        Poll.until("four ticks", Duration.ofSeconds(60), CronIT::lines, l -> l.size() >= 4);

        String leader = first.http.get("/api/v1/cluster").json().path("leader").asText();
        NestProcess dead = nodes.stream().filter(n -> n.id.equals(leader)).findFirst().orElseThrow();
        NestProcess other = nodes.stream().filter(n -> n != dead).findFirst().orElseThrow();
        JsonNode view = other.http.get("/api/v1/functions/ticker/triggers").json();
        JsonNode t = view.path("triggers").get(0);
        assertEquals("every-2s", t.path("name").asText(), view.toString());
        assertEquals("leader", t.path("runsOn").asText());
        assertFalse(t.path("runningHere").asBoolean(), "runs on the leader only: " + view);
        assertFalse(view.path("http").asBoolean());
        Instant next = Instant.parse(t.path("details").path("nextFire").asText());
        assertEquals(0, next.getEpochSecond() % 2, "next fire on the schedule: " + next);
        assertFalse(t.path("details").path("lastFire").asText().isEmpty(), view.toString());

        // the leader hangs (SIGSTOP: its sockets stay open, so only its ZooKeeper session's expiry, 4 s, hands the
        // lead on and ticks are missed meanwhile), then dies (kill -9)
        dead.pause();
        Instant killed = Instant.now();
        JsonNode cluster = Poll.until("a new leader", Duration.ofSeconds(40), () -> other.http.get("/api/v1/cluster").json(),
                c -> !c.path("leader").asText().isEmpty() && !c.path("leader").asText().equals(leader));
        String successor = cluster.path("leader").asText();
        assertNotEquals(leader, successor);
        // the successor fires for a while: ticks at least 10 s after the kill
        Poll.until("ticks after the failover", Duration.ofSeconds(60), CronIT::lines,
                l -> !l.isEmpty() && tickOf(l.getLast()).isAfter(killed.plusSeconds(10)));
        dead.kill();
        dead.launch(); // its queue may hold a tick it claimed and had not delivered yet
        Thread.sleep(5_000); // lets it deliver what it held; a tick it never claimed is not its to fire
        for (NestProcess n : nodes) {
            n.close();
        }

        // a tick fires once: one invocation (one enqueue). The async path delivers at least once, so an invocation
        // whose node died between the function's run and its acknowledgement runs again under the same id
        List<String> lines = lines();
        TreeMap<Instant, java.util.Set<String>> fired = new TreeMap<>();
        Map<Instant, Long> missedBefore = new TreeMap<>();
        int redeliveries = 0;
        for (String line : lines) {
            String[] p = line.split(" ");
            Instant tick = Instant.parse(p[0]);
            if (!fired.computeIfAbsent(tick, k -> new java.util.TreeSet<>()).add(p[2])) {
                redeliveries++;
            }
            missedBefore.put(tick, Long.parseLong(p[1]));
        }
        fired.forEach((tick, ids) -> assertEquals(1, ids.size(), "tick " + tick + " fired as " + ids + ":\n"
                + String.join("\n", lines)));
        Instant previous = null;
        long gaps = 0;
        for (Instant tick : fired.keySet()) {
            assertEquals(0, tick.getEpochSecond() % PERIOD.toSeconds(), "tick " + tick + " is on the schedule");
            if (previous != null) {
                long between = Duration.between(previous, tick).toSeconds() / PERIOD.toSeconds() - 1;
                assertEquals(between, missedBefore.get(tick), "ticks missed between " + previous + " and " + tick
                        + " are the ones the fire-once tick " + tick + " stands for:\n" + String.join("\n", lines));
                gaps += between;
            }
            previous = tick;
        }
        System.out.println("CronIT: " + fired.size() + " ticks fired exactly once from " + fired.firstKey() + " to "
                + fired.lastKey() + "; " + gaps + " missed while no leader fired them (leader " + leader + " -> "
                + successor + "), each gap fired once through the fire-once catch-up; " + redeliveries
                + " repeated deliveries of an invocation (at-least-once async delivery after the kill)");
        assertTrue(fired.size() >= 8, "ticks fired: " + fired.size());
        assertTrue(gaps >= 1, "the hung leader's session expiry left ticks to the misfire policy:\n" + String.join("\n", lines));
    }

    static List<String> lines() {
        try {
            return Files.readAllLines(ticks, StandardCharsets.UTF_8).stream().filter(l -> l.split(" ").length == 3).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Instant tickOf(String line) {
        return Instant.parse(line.split(" ")[0]);
    }
}
