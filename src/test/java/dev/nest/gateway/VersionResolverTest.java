package dev.nest.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nest.function.Alias;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionSpec;
import dev.nest.function.QueueSpec;
import dev.nest.function.ScalingSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class VersionResolverTest {
    private static final FunctionId ID = FunctionId.of("default", "hello");
    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
    private static final FunctionRecord RECORD = record();

    private static FunctionRecord record() {
        FunctionSpec spec = new FunctionSpec(ID, "nodejs", "", 128, Duration.ofSeconds(30), 1, Map.of(),
                ScalingSpec.DEFAULT, QueueSpec.DEFAULT);
        FunctionRecord r = FunctionRecord.empty(ID, "api", T0);
        for (int i = 1; i <= 3; i++) {
            r = r.withNewVersion("sha256:" + String.format("%064x", i), spec, "api", T0, i == 1);
        }
        return r.withAlias("beta", Alias.single(3), T0)
                .withAlias("split", new Alias(new TreeMap<>(Map.of(1, 70, 2, 30)), Optional.of(Alias.Sticky.parse("header:X-User-Id"))), T0);
    }

    /** Resolves with the point fixed at {@code point}; "-" for no path qualifier; header values as "name=value". */
    private static String resolve(int point, String pathQualifier, String... headers) {
        List<String> h = new ArrayList<>();
        for (String kv : headers) {
            h.add(kv.substring(0, kv.indexOf('=')));
            h.add(kv.substring(kv.indexOf('=') + 1));
        }
        VersionResolver.Resolution r = new VersionResolver(() -> point).resolve(RECORD,
                pathQualifier.equals("-") ? Optional.empty() : Optional.of(pathQualifier), h);
        return switch (r) {
            case VersionResolver.Resolution.Resolved ok -> {
                assertEquals(List.of(VersionResolver.HEADER, Integer.toString(ok.version().version())),
                        h.subList(h.size() - 2, h.size()), "the header names the chosen version for peers");
                yield "v" + ok.version().version();
            }
            case VersionResolver.Resolution.Refused no -> Integer.toString(no.status());
        };
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            # point | path qualifier | header                    | outcome
            0       | -              | -                         | v1
            0       | 2              | -                         | v2
            0       | beta           | -                         | v3
            0       | live           | -                         | v1
            0       | -              | X-Nest-Qualifier=beta     | v3
            0       | -              | x-nest-qualifier= 2       | v2
            0       | beta           | X-Nest-Qualifier=2        | v2
            0       | split          | -                         | v1
            69      | split          | -                         | v1
            70      | split          | -                         | v2
            0       | 9              | -                         | 404
            0       | 0              | -                         | 404
            0       | 99999999999999 | -                         | 404
            0       | gamma          | -                         | 404
            0       | ''             | -                         | 400
            0       | Beta           | -                         | 400
            0       | a@b            | -                         | 400
            0       | ..             | -                         | 400
            0       | -              | X-Nest-Qualifier=../x     | 400
            0       | -              | X-Nest-Qualifier=         | 400
            """)
    void resolvesTheQualifierAHeaderOrThePathNames(int point, String pathQualifier, String header, String outcome) {
        assertEquals(outcome, header.equals("-") ? resolve(point, pathQualifier) : resolve(point, pathQualifier, header));
    }

    @ParameterizedTest
    @CsvSource({"0", "1", "7", "10", "4095", "4096", "65536", "2147483647", "-1"})
    void numbersAreDecimalWhetherKeptOrNot(int n) {
        assertEquals(Integer.toString(n), VersionResolver.number(n));
        assertEquals(Integer.toString(n), VersionResolver.number(n)); // the second time from the kept ones
    }

    @Test
    void aStickyKeyAlwaysReachesTheSameVersionWhateverTheRandomPoint() {
        for (int key = 0; key < 200; key++) {
            String first = resolve(0, "split", "X-User-Id=u" + key);
            for (int point = 1; point < 100; point += 7) {
                assertEquals(first, resolve(point, "split", "X-User-Id=u" + key), "key u" + key);
            }
        }
    }

    @Test
    void randomPointsSplitByTheWeights() {
        AtomicInteger next = new AtomicInteger();
        VersionResolver resolver = new VersionResolver(() -> next.getAndIncrement() % 100);
        Map<Integer, Integer> counts = new HashMap<>();
        for (int i = 0; i < 1000; i++) {
            var r = (VersionResolver.Resolution.Resolved) resolver.resolve(RECORD, Optional.of("split"), new ArrayList<>());
            counts.merge(r.version().version(), 1, Integer::sum);
        }
        assertEquals(Map.of(1, 700, 2, 300), counts);
    }

    @Test
    void aFunctionWithoutLiveVersionIsNotDeployed() {
        VersionResolver.Resolution r = new VersionResolver(() -> 0).resolve(FunctionRecord.empty(ID, "api", T0),
                Optional.empty(), new ArrayList<>(Arrays.asList("x-nest-qualifier", "1", "X-NEST-QUALIFIER", "2")));
        assertEquals(404, ((VersionResolver.Resolution.Refused) r).status());
        VersionResolver.Resolution none = new VersionResolver(() -> 0).resolve(FunctionRecord.empty(ID, "api", T0),
                Optional.empty(), new ArrayList<>());
        assertEquals("function not deployed", ((VersionResolver.Resolution.Refused) none).error());
    }
}
