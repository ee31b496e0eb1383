package dev.nest.function;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.common.Json;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class FunctionCodecTest {
    private static final Instant T0 = Instant.parse("2025-03-04T05:06:07.089Z");

    private static FunctionSpec spec(FunctionId id) {
        return new FunctionSpec(id, "java", "com.example.Handler", 256, Duration.ofMillis(2500), 4,
                Map.of("A", "1", "B", "two words"), new ScalingSpec(1, 7, Duration.ofMinutes(3)),
                new QueueSpec(20, Duration.ofSeconds(5)));
    }

    private static JsonNode viaText(JsonNode n) {
        try {
            return Json.mapper().readTree(Json.bytes(n));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static Stream<FunctionVersion> versions() {
        FunctionId id = FunctionId.of("team-a", "greeter");
        return Stream.of(
                new FunctionVersion(1, "sha256:" + "a".repeat(64), spec(id), T0, "api"),
                new FunctionVersion(12, "sha256:" + "0".repeat(64), spec(id), T0.plusNanos(1), "file:config/functions/x.yaml"),
                new FunctionVersion(3, "sha256:" + "f".repeat(64), new FunctionSpec(FunctionId.of("default", "min"),
                        "nodejs", "", 128, Duration.ofSeconds(30), 1, Map.of(), ScalingSpec.DEFAULT, QueueSpec.DEFAULT),
                        Instant.EPOCH, "cli"));
    }

    @ParameterizedTest
    @MethodSource("versions")
    void versionRoundTrips(FunctionVersion v) {
        assertEquals(v, FunctionCodec.readVersion(FunctionCodec.writeVersion(v)));
        assertEquals(v, FunctionCodec.readVersion(viaText(FunctionCodec.writeVersion(v))));
    }

    @Test
    void versionWithoutSourceReadsAsApi() {
        FunctionVersion v = versions().findFirst().orElseThrow();
        ObjectNode n = FunctionCodec.writeVersion(v);
        n.remove("source");
        assertEquals(new FunctionVersion(v.version(), v.digest(), v.spec(), v.createdAt(), "api"),
                FunctionCodec.readVersion(n));
    }

    static Stream<FunctionRecord> records() {
        FunctionId id = FunctionId.of("team-a", "greeter");
        FunctionRecord empty = FunctionRecord.empty(id, "api", T0);
        FunctionRecord three = empty
                .withNewVersion("sha256:" + "1".repeat(64), spec(id), "api", T0.plusSeconds(1), true)
                .withNewVersion("sha256:" + "2".repeat(64), spec(id), "cli", T0.plusSeconds(2), true)
                .withNewVersion("sha256:" + "3".repeat(64), spec(id), "cli", T0.plusSeconds(3), false);
        return Stream.of(
                empty,
                three,
                three.rolledBack(Optional.of(1), T0.plusSeconds(4)),
                three.withOrigin("file:config/functions/greeter.yaml"));
    }

    @ParameterizedTest
    @MethodSource("records")
    void headAndVersionsRoundTrip(FunctionRecord r) {
        // as stored: the head in one node, each version in its own
        JsonNode head = viaText(FunctionCodec.writeHead(r));
        TreeMap<Integer, FunctionVersion> versions = new TreeMap<>();
        for (FunctionVersion v : r.versions().values()) {
            FunctionVersion back = FunctionCodec.readVersion(viaText(FunctionCodec.writeVersion(v)));
            versions.put(back.version(), back);
        }
        assertEquals(r, FunctionCodec.readHead(head, versions));
    }

    @Test
    void headDoesNotCarryTheVersions() {
        FunctionRecord r = records().skip(1).findFirst().orElseThrow();
        ObjectNode head = FunctionCodec.writeHead(r);
        assertEquals(List.of("namespace", "name", "live", "liveHistory", "origin", "createdAt", "updatedAt", "aliases"),
                iterable(head.fieldNames()));
        assertEquals(Map.of(), FunctionCodec.readHead(head, Map.of()).versions());
    }

    @Test
    void headWithoutOptionalFieldsReadsWithDefaults() throws IOException {
        JsonNode head = Json.mapper().readTree("""
                {"namespace": "", "name": "bare", "createdAt": "2025-01-01T00:00:00Z", "updatedAt": "2025-01-02T00:00:00Z"}
                """);
        FunctionRecord r = FunctionCodec.readHead(head, Map.of());
        assertEquals(new FunctionRecord(FunctionId.of("default", "bare"), 0, List.of(), new TreeMap<>(), "api",
                Instant.parse("2025-01-01T00:00:00Z"), Instant.parse("2025-01-02T00:00:00Z")), r);
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
