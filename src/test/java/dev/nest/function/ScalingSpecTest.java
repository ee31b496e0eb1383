package dev.nest.function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.common.Json;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The {@code scaling:} block of a spec: defaults, every key, every problem with key, value and range. */
class ScalingSpecTest {
    private static JsonNode yaml(String text) {
        try {
            return Json.yaml().readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("test YAML does not parse: " + text, e);
        }
    }

    /** Parses a spec with this {@code scaling:} block (YAML flow or block text). */
    private static ScalingSpec scaling(String block) {
        return parse(block).spec().scaling();
    }

    private static SpecParser.Parsed parse(String block) {
        String doc = "name: f\nruntime: nodejs\nconcurrency: 4\n" + (block == null ? "" : "scaling:\n"
                + block.indent(2));
        return SpecParser.parse(yaml(doc), "f.yaml", "", SpecParser.Defaults.STANDARD);
    }

    private static List<SpecProblem> problems(String block) {
        try {
            parse(block);
        } catch (SpecException e) {
            return e.problems();
        }
        throw new AssertionError("no problem found in " + block);
    }

    @Test
    void missingBlockGivesTheDefaults() {
        ScalingSpec c = scaling(null);
        assertEquals(0, c.min());
        assertEquals(10, c.max());
        assertEquals(Duration.ofMinutes(10), c.keepAlive());
        assertEquals(0.7, c.utilization());
        assertEquals(List.of(), c.metrics());
        assertEquals(List.of(new MetricTarget(MetricType.CONCURRENCY, 4)), c.metricsFor(4));
        assertEquals(Duration.ofMinutes(20), c.scaleDownDelay());
        assertEquals("50%", c.maxScaleDownStep().toString());
        assertEquals(Duration.ofHours(4), c.scaleToZeroAfter());
        assertEquals(KeepAliveMode.HISTOGRAM, c.keepAlivePolicy());
        assertEquals(List.of(), c.schedule());
        assertEquals(ScalingSpec.DEFAULT, c);
    }

    @Test
    void everyKey() {
        ScalingSpec c = scaling("""
                min: 2
                max: 50
                keep-alive: 5m
                utilization: 0.8
                metrics: [{type: concurrency, target: 10}, {type: rps, target: 200}, {type: cpu, target: 0.5}, {type: memory, target: 256}]
                scale-down-delay: 1m
                max-scale-down-step: 3
                scale-to-zero-after: 1h
                schedule: [{cron: "0 8 * * MON-FRI", duration: 2h, min: 5, timezone: Asia/Shanghai}]
                keep-alive-policy: fixed
                """);
        assertEquals(2, c.min());
        assertEquals(50, c.max());
        assertEquals(0.8, c.utilization());
        assertEquals(List.of(new MetricTarget(MetricType.CONCURRENCY, 10), new MetricTarget(MetricType.RPS, 200),
                new MetricTarget(MetricType.CPU, 0.5), new MetricTarget(MetricType.MEMORY, 256)), c.metrics());
        assertEquals(Duration.ofMinutes(1), c.scaleDownDelay());
        assertEquals(new ScaleDownStep(3, false), c.maxScaleDownStep());
        assertEquals(Duration.ofHours(1), c.scaleToZeroAfter());
        assertEquals(Duration.ofMinutes(5), c.keepAlive());
        assertEquals(KeepAliveMode.FIXED, c.keepAlivePolicy());
        assertEquals(List.of(new ScheduleRule(CronExpression.parse("0 8 * * MON-FRI"), Duration.ofHours(2), 5,
                ZoneId.of("Asia/Shanghai"))), c.schedule());
        // the canonical form reads back to an equal config
        FunctionSpec spec = parse(null).spec();
        for (ScalingSpec each : List.of(c, ScalingSpec.DEFAULT)) {
            FunctionSpec with = new FunctionSpec(spec.id(), spec.runtime(), spec.handler(), spec.memoryMb(), spec.timeout(),
                    spec.concurrency(), spec.env(), each, spec.queue());
            assertEquals(with, SpecParser.parse(SpecParser.write(with), "stored", "", SpecParser.Defaults.STANDARD).spec());
        }
    }

    static Stream<Arguments> badBlocks() {
        return Stream.of(
                Arguments.of("min: -1", "key 'scaling.min': value '-1' is not valid; allowed: an integer number of instances from 0 to 10000"),
                Arguments.of("max: 0", "key 'scaling.max': value '0' is not valid; allowed: an integer number of instances from 1 to 10000"),
                Arguments.of("{min: 5, max: 3}", "key 'scaling.max': value '3' is not valid; allowed: at least scaling.min (5)"),
                Arguments.of("keep-alive: 10x", "key 'scaling.keep-alive': value '10x' is not valid; allowed: a number followed by ms, s, m, h or d (e.g. 500ms, 30s, 5m), from 1s to 1d"),
                Arguments.of("utilization: 1.5", "key 'scaling.utilization': value '1.5' is not valid; allowed: a number from 0.1 to 1"),
                Arguments.of("utilization: high", "key 'scaling.utilization': value 'high' is not valid; allowed: a number from 0.1 to 1"),
                Arguments.of("metrics: []", "key 'scaling.metrics': value '[]' is not valid; allowed: a list of one or more {type, target}, type one of concurrency, rps, cpu, memory"),
                Arguments.of("metrics: [{type: gpu, target: 1}]", "key 'scaling.metrics[0].type': value 'gpu' is not valid; allowed: one of concurrency, rps, cpu, memory"),
                Arguments.of("metrics: [{type: cpu, target: 100}]", "key 'scaling.metrics[0].target': value '100' is not valid; allowed: cores per instance from 0.01 to 64"),
                Arguments.of("metrics: [{type: rps}]", "key 'scaling.metrics[0].target': required: requests per second per instance from 0.01 to 100000"),
                Arguments.of("metrics: [{type: rps, target: 5}, {type: rps, target: 6}]", "key 'scaling.metrics[1].type': value 'rps' is not valid; allowed: each metric type at most once"),
                Arguments.of("metrics: [{type: rps, target: 5, window: 10s}]", "key 'scaling.metrics[0].window': unknown key; allowed keys here are target, type"),
                Arguments.of("scale-down-delay: 2h", "key 'scaling.scale-down-delay': value '2h' is not valid; allowed: a number followed by ms, s, m, h or d (e.g. 500ms, 30s, 5m), from 0ms to 1h"),
                Arguments.of("max-scale-down-step: 0", "key 'scaling.max-scale-down-step': value '0' is not valid; allowed: an instance count from 1 to 10000 or a percentage of the current count from 1% to 100% (e.g. 2 or 50%)"),
                Arguments.of("max-scale-down-step: 150%", "key 'scaling.max-scale-down-step': value '150%' is not valid; allowed: an instance count from 1 to 10000"),
                Arguments.of("scale-to-zero-after: 2d", "key 'scaling.scale-to-zero-after': value '2d' is not valid; allowed: a number followed by ms, s, m, h or d (e.g. 500ms, 30s, 5m), from 0ms to 1d"),
                Arguments.of("keep-alive-policy: lru", "key 'scaling.keep-alive-policy': value 'lru' is not valid; allowed: fixed or histogram"),
                Arguments.of("schedule: [{cron: '0 25 * * *', duration: 1h, min: 2}]", "key 'scaling.schedule[0].cron': value '0 25 * * *' is not valid; allowed: '0 25 * * *': Value 25 not in range [0, 23]"),
                Arguments.of("schedule: [{cron: '0 8 * * *', min: 2}]", "key 'scaling.schedule[0].duration': required: a number followed by ms, s, m, h or d (e.g. 500ms, 30s, 5m), from 1m to 1d"),
                Arguments.of("schedule: [{cron: '0 8 * * *', duration: 2d, min: 2}]", "key 'scaling.schedule[0].duration': value '2d' is not valid; allowed: a number followed by ms, s, m, h or d (e.g. 500ms, 30s, 5m), from 1m to 1d"),
                Arguments.of("schedule: [{cron: '0 8 * * *', duration: 1h}]", "key 'scaling.schedule[0].min': required: an integer number of instances from 0 to scaling.max (10)"),
                Arguments.of("schedule: [{cron: '0 8 * * *', duration: 1h, min: 11}]", "key 'scaling.schedule[0].min': value '11' is not valid; allowed: at most scaling.max (10)"),
                Arguments.of("schedule: [{cron: '0 8 * * *', duration: 1h, min: 1, timezone: Mars/Olympus}]", "key 'scaling.schedule[0].timezone': value 'Mars/Olympus' is not valid; allowed: a time-zone id such as UTC, Europe/Berlin or Asia/Shanghai"),
                Arguments.of("mni: 1", "key 'scaling.mni': unknown key; allowed keys here are keep-alive, keep-alive-policy, max, max-scale-down-step, metrics, min, scale-down-delay, scale-to-zero-after, schedule, utilization"),
                Arguments.of("[1, 2]", "key 'scaling': value '[1,2]' is not valid; allowed: a mapping with keys"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badBlocks")
    void problemsNameKeyValueAndRange(String yaml, String message) {
        List<SpecProblem> p = problems(yaml);
        assertTrue(p.stream().anyMatch(x -> x.toString().startsWith(message)), p.toString());
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        assertEquals(List.of("scaling.min", "scaling.utilization", "scaling.keep-alive-policy"),
                problems("{min: -1, utilization: 2, keep-alive-policy: x}").stream().map(SpecProblem::key).toList());
    }

    @Test
    void theConstructorRefusesWhatTheParserRefuses() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ScalingSpec.DEFAULT.withMinMax(5, 3));
        assertTrue(e.getMessage().contains("key 'scaling.max': value '3' is not valid; allowed: at least scaling.min (5)"), e.getMessage());
    }
}
