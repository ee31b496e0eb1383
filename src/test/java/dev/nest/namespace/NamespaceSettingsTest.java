package dev.nest.namespace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.common.Json;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class NamespaceSettingsTest {
    private static final Instant T = Instant.parse("2026-01-02T03:04:05Z");

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
                        Optional.of(new NamespaceRate(100, 200))),
                new Row("{\"limits\":{\"rate\":\"600/m\"}}", OptionalInt.empty(), OptionalLong.empty(),
                        Optional.of(new NamespaceRate(10, 10))),
                new Row("{\"limits\":{\"rate\":\"1800/h\"}}", OptionalInt.empty(), OptionalLong.empty(),
                        Optional.of(new NamespaceRate(0.5, 1))),
                new Row("{\"limits\":{\"rate\":\"1/h\"}}", OptionalInt.empty(), OptionalLong.empty(),
                        Optional.of(new NamespaceRate(1.0 / 3600, 1))),
                new Row("{\"limits\":{\"rate\":\"1000/h\",\"burst\":3}}", OptionalInt.empty(), OptionalLong.empty(),
                        Optional.of(new NamespaceRate(1000.0 / 3600, 3))));
        for (Row r : rows) {
            NamespaceSettings s = parse("shop", r.json());
            assertEquals(new NamespaceQuota(r.instances(), r.memoryMb()), s.quota(), r.json());
            assertEquals(r.rate(), s.rate(), r.json());
            assertEquals(s, NamespaceSettings.fromBytes(s.toBytes()), "round trip of " + r.json());
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

    @Test
    void ratesAreWrittenInPlainDigits() {
        assertEquals("100/s", new NamespaceRate(100, 1).rateText());
        assertEquals("0.5/s", new NamespaceRate(0.5, 1).rateText());
        String slow = new NamespaceRate(1.0 / 3600, 1).rateText();
        assertTrue(slow.matches("0\\.000\\d+/s"), slow);
        assertEquals(1.0 / 3600, NamespaceRate.perSecond(slow));
    }

    @Test
    void memoryIsFormattedInTheLargestExactUnit() {
        assertEquals("8Gi", NamespaceQuota.formatMemory(8192));
        assertEquals("1536Mi", NamespaceQuota.formatMemory(1536));
        assertEquals("1Ti", NamespaceQuota.formatMemory(1024 * 1024));
        assertEquals("0Mi", NamespaceQuota.formatMemory(0));
    }
}
