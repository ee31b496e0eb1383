package dev.nest.namespace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.common.Json;
import dev.nest.common.Rate;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NamespaceSettingsTest {
    private static final Instant T = Instant.parse("2026-01-02T03:04:05Z");
    private static final Consumer<String> NO_WARNINGS = w -> {
        throw new AssertionError("unexpected warning: " + w);
    };

    private static NamespaceSettings parse(String ns, String json) {
        return NamespaceSettings.parse(ns, Json.tree(json.getBytes(StandardCharsets.UTF_8), "test"), T);
    }

    @Test
    void validSettingsParseAndRoundTrip() {
        record Row(String json, OptionalInt instances, OptionalLong memoryMb, Optional<NamespaceRate> rate) {
        }
        List<Row> rows = List.of(
                new Row("{}", OptionalInt.empty(), OptionalLong.empty(), Optional.empty()),
                new Row("{\"quota\":{\"instances\":10,\"memory\":\"8Gi\"}}", OptionalInt.of(10), OptionalLong.of(8192), Optional.empty()),
                new Row("{\"quota\":{\"memory\":\"512Mi\"}}", OptionalInt.empty(), OptionalLong.of(512), Optional.empty()),
                new Row("{\"quota\":{\"memory\":\"2GiB\"}}", OptionalInt.empty(), OptionalLong.of(2048), Optional.empty()),
                new Row("{\"quota\":{\"memory\":1536}}", OptionalInt.empty(), OptionalLong.of(1536), Optional.empty()),
                new Row("{\"quota\":{\"instances\":0}}", OptionalInt.of(0), OptionalLong.empty(), Optional.empty()),
                new Row("{\"limits\":{\"rate\":\"100/s\",\"burst\":200}}", OptionalInt.empty(), OptionalLong.empty(),
                        Optional.of(new NamespaceRate(Rate.parse("100/s"), 200))),
                new Row("{\"limits\":{\"rate\":\"100/s\"}}", OptionalInt.empty(), OptionalLong.empty(),
                        Optional.of(new NamespaceRate(Rate.parse("100/s"), 100))),
                new Row("{\"limits\":{\"rate\":\"600/m\"}}", OptionalInt.empty(), OptionalLong.empty(),
                        Optional.of(new NamespaceRate(Rate.parse("600/m"), 600))),
                new Row("{\"limits\":{\"rate\":\"1800/h\"}}", OptionalInt.empty(), OptionalLong.empty(),
                        Optional.of(new NamespaceRate(Rate.parse("1800/h"), 1800))),
                new Row("{\"limits\":{\"rate\":\"1/h\"}}", OptionalInt.empty(), OptionalLong.empty(),
                        Optional.of(new NamespaceRate(Rate.parse("1/h"), 1))),
                new Row("{\"limits\":{\"rate\":\"5000000/s\"}}", OptionalInt.empty(), OptionalLong.empty(),
                        Optional.of(new NamespaceRate(Rate.parse("5000000/s"), Rate.MAX_BURST))),
                new Row("{\"limits\":{\"rate\":\"1000/h\",\"burst\":3}}", OptionalInt.empty(), OptionalLong.empty(),
                        Optional.of(new NamespaceRate(Rate.parse("1000/h"), 3))));
        for (Row r : rows) {
            NamespaceSettings s = parse("shop", r.json());
            assertEquals(new NamespaceQuota(r.instances(), r.memoryMb()), s.quota(), r.json());
            assertEquals(r.rate(), s.rate(), r.json());
            assertEquals(s, NamespaceSettings.fromBytes(s.toBytes(), NO_WARNINGS), "round trip of " + r.json());
            r.rate().ifPresent(rate -> assertEquals(rate.rate().toString(), s.toJson().at("/limits/rate").asText(),
                    "written in the form it is read in"));
        }
    }

    @Test
    void badSettingsNameTheKeyTheValueAndTheAllowedForm() {
        record Row(String json, List<String> expected) {
        }
        List<Row> rows = List.of(
                new Row("[]", List.of("must be a JSON object")),
                new Row("{\"quota\":{\"instances\":-1}}", List.of("key 'quota.instances': value -1", "from 0 to")),
                new Row("{\"quota\":{\"instances\":\"ten\"}}", List.of("key 'quota.instances': value \"ten\"")),
                new Row("{\"quota\":{\"instances\":1.5}}", List.of("key 'quota.instances': value 1.5")),
                new Row("{\"quota\":{\"memory\":\"8GB\"}}", List.of("key 'quota.memory': value '8GB'", "8Gi")),
                new Row("{\"quota\":{\"memory\":\"99999999999999Ti\"}}", List.of("key 'quota.memory'", "too large")),
                new Row("{\"quota\":{\"cpu\":2}}", List.of("key 'quota.cpu' is not known", "quota.instances")),
                new Row("{\"quota\":5}", List.of("key 'quota': value 5", "an object")),
                new Row("{\"limits\":{\"rate\":\"fast\"}}", List.of("key 'limits.rate': value 'fast'", "100/s")),
                new Row("{\"limits\":{\"rate\":\"0/s\"}}", List.of("key 'limits.rate': value '0/s'")),
                new Row("{\"limits\":{\"rate\":\"0.5/s\"}}", List.of("key 'limits.rate': value '0.5/s'",
                        "a whole number", "100/s, 600/m or 1000/h")),
                new Row("{\"limits\":{\"rate\":\"10/min\"}}", List.of("key 'limits.rate': value '10/min'", "600/m")),
                new Row("{\"limits\":{\"rate\":\"10/hour\"}}", List.of("key 'limits.rate': value '10/hour'")),
                new Row("{\"limits\":{\"rate\":\"10/s\",\"burst\":1000001}}",
                        List.of("key 'limits.burst': value 1000001", "from 1 to 1000000")),
                new Row("{\"limits\":{\"rate\":100}}", List.of("key 'limits.rate': value 100")),
                new Row("{\"limits\":{\"burst\":5}}", List.of("key 'limits.burst'", "without 'limits.rate'")),
                new Row("{\"limits\":{\"rate\":\"10/s\",\"burst\":0}}", List.of("key 'limits.burst': value 0", "from 1 to")),
                new Row("{\"namespace\":\"other\"}", List.of("key 'namespace': value \"other\"")),
                new Row("{\"quotas\":{}}", List.of("key 'quotas' is not known")),
                new Row("{\"quota\":{\"instances\":-1,\"memory\":\"x\"},\"limits\":{\"rate\":\"y\"}}",
                        List.of("quota.instances", "quota.memory", "limits.rate")));
        for (Row r : rows) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse("shop", r.json()), r.json());
            for (String part : r.expected()) {
                assertTrue(e.getMessage().contains(part), r.json() + " -> " + e.getMessage());
            }
        }
    }

    @Test
    void namespaceNamesFollowTheRuleOfFunctionNamespaces() {
        for (String ok : List.of("default", "shop", "team-1", "a", "x".repeat(63))) {
            assertTrue(NamespaceSettings.validName(ok), ok);
        }
        for (String bad : List.of("", "Shop", "-shop", "shop-", "a_b", "a.b", "x".repeat(64), "../x")) {
            assertTrue(!NamespaceSettings.validName(bad), bad);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse(bad, "{}"));
            assertTrue(e.getMessage().contains("namespace '" + bad + "' is not valid"), e.getMessage());
        }
    }

    /** Settings stored by the release that wrote rates as decimal requests per second. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "100/s                   | 100/s",
        "1000000/s               | 1000000/s",
        "0.5/s                   | 30/m",
        "1.5/s                   | 90/m",
        "0.16666666666666666/s   | 10/m",
        "0.0002777777777777778/s | 1/h",
        "0.2777777777777778/s    | 1000/h",
        "0.5000/s                | 30/m"})
    void storedRatesOfTheEarlierFormReadAsWholeCounts(String stored, String reads) {
        List<String> warnings = new ArrayList<>();
        NamespaceSettings s = NamespaceSettings.fromBytes(stored(stored), warnings::add);
        assertEquals(Optional.of(new NamespaceRate(Rate.parse(reads), 7)), s.rate());
        assertEquals(OptionalInt.of(3), s.quota().instances());
        assertEquals(List.of(), warnings);
        assertEquals(reads, s.toJson().at("/limits/rate").asText(), "written back in today's form");
    }

    @Test
    void aStoredDecimalRateThatIsNoWholeCountIsDroppedWithAWarningAndTheQuotaKept() {
        List<String> warnings = new ArrayList<>();
        NamespaceSettings s = NamespaceSettings.fromBytes(stored("0.0001/s"), warnings::add);
        assertEquals(Optional.empty(), s.rate());
        assertEquals(OptionalInt.of(3), s.quota().instances(), "the rest of the settings hold");
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("namespace 'shop': key 'limits.rate': stored value '0.0001/s'"),
                warnings.get(0));
        assertTrue(warnings.get(0).contains("PUT /api/v1/namespaces/shop"), warnings.get(0));
    }

    @Test
    void theEarlierDecimalFormIsReadFromStorageOnlyNeverFromARequest() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> parse("shop", "{\"limits\":{\"rate\":\"0.5/s\"}}"));
        assertTrue(e.getMessage().contains("key 'limits.rate': value '0.5/s'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NamespaceSettings.fromBytes(stored("fast"), NO_WARNINGS),
                "what was never a rate is still refused");
    }

    private static byte[] stored(String rate) {
        return ("{\"namespace\":\"shop\",\"quota\":{\"instances\":3},\"limits\":{\"rate\":\"" + rate
                + "\",\"burst\":7},\"updatedAt\":\"2026-01-02T03:04:05Z\"}").getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void memoryIsFormattedInTheLargestExactUnit() {
        assertEquals("8Gi", NamespaceQuota.formatMemory(8192));
        assertEquals("1536Mi", NamespaceQuota.formatMemory(1536));
        assertEquals("1Ti", NamespaceQuota.formatMemory(1024 * 1024));
        assertEquals("0Mi", NamespaceQuota.formatMemory(0));
    }
}
