package dev.nest.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code concurrency: replace} on one in-process node with a real Node.js function that runs longer than the
 * schedule's period: each tick stops the previous tick's run (its instance is recycled, so the function's code really
 * ends: it never writes its end marker) and its invocation ends {@code cancelled}, neither retried nor dead.
 */
class CronReplaceIT {
    private static final String P = "/api/v1";
    /** {@code <tmp>/nest-it-cron-replace-*}/out/marks.log: pods may run as other uids, so not under the checkout. */
    static final Path MARKS = markFile();

    @RegisterExtension
    static final NestServerExtension node = NestServerExtension.node().requires(Engines::requireNode)
            .functions(CronReplaceIT::writeFunctions);
    static final Http http = node.http();

    static void writeFunctions(Path functions) {
        Fixtures.nodeFunction(functions, "sleeper", """
                timeout: 60s
                http: false
                triggers:
                  - type: cron
                    name: every-2s
                    schedule: "*/2 * * * * *"
                    concurrency: replace
                """, """
                const fs = require('fs');
                const mark = (what, id, tick) => {
                  const fd = fs.openSync(%s, 'a');
                  try { fs.writeSync(fd, what + ' ' + id + ' ' + tick + '\\n'); fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
                };
                exports.handler = async (event, context) => {
                  const tick = JSON.parse(event.body).time;
                  mark('start', context.invocationId, tick);
                  await new Promise(r => setTimeout(r, 7000)); // longer than the 2 s period
                  mark('end', context.invocationId, tick);
                  return { ok: true };
                };
                """.formatted(json(MARKS.toString())));
    }

    private static String json(String s) {
        try {
            return Http.JSON.writeValueAsString(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path markFile() {
        try {
            Path home = Files.createTempDirectory("nest-it-cron-replace-");
            Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx--x--x"));
            Path out = Files.createDirectories(home.resolve("out"));
            Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxrwxrwx"));
            Path file = Files.createFile(out.resolve("marks.log"));
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @AfterAll
    static void removeMarks() throws IOException {
        Path out = MARKS.getParent();
        Files.deleteIfExists(MARKS);
        Files.deleteIfExists(out);
        Files.deleteIfExists(out.getParent());
    }

    static List<String[]> marks(String what) {
        try {
            return Files.readAllLines(MARKS, StandardCharsets.UTF_8).stream().map(l -> l.split(" "))
                    .filter(p -> p.length == 3 && p[0].equals(what)).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void eachTickStopsThePreviousRunWhichEndsCancelled() {
        JsonNode view = http.get(P + "/functions/sleeper/triggers").json();
        assertEquals("replace", view.path("triggers").get(0).path("details").path("concurrency").asText(),
                view.toString());
        // five runs started, 8 s from the first to the last: a first run that had not been stopped would have
        // written its end marker by then (it sleeps 7 s)
        List<String[]> starts = Poll.until("five runs", Duration.ofSeconds(90), () -> marks("start"),
                s -> s.size() >= 5);
        String first = starts.getFirst()[1];
        JsonNode cancelled = Poll.until("the first run cancelled", Duration.ofSeconds(30),
                () -> http.get(P + "/invocations/" + first).json().path("async"),
                a -> a.path("state").asText().equals("cancelled"));
        assertTrue(cancelled.path("lastError").asText().startsWith("cancelled"), cancelled.toString());
        for (int i = 0; i + 1 < starts.size(); i++) {
            String id = starts.get(i)[1];
            JsonNode a = http.get(P + "/invocations/" + id).json().path("async");
            assertEquals("cancelled", a.path("state").asText(), "run " + id + " (tick " + starts.get(i)[2]
                    + ") was replaced: " + a);
        }
        assertEquals(List.of(), marks("end").stream().map(p -> String.join(" ", p)).toList(),
                "no replaced run reached its end");
        System.out.println("CronReplaceIT: " + starts.size() + " runs started, each stopped by the next tick: "
                + starts.stream().map(p -> p[2]).toList());
    }
}
