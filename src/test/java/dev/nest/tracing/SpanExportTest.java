package dev.nest.tracing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.common.TraceContext;
import dev.nest.config.TracingConfig;
import dev.nest.gateway.InvocationSpan;
import dev.nest.metrics.MetricSample;
import dev.nest.store.InvocationRecord;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class SpanExportTest {
    private static final String TRACE = "0af7651916cd43dd8448eb211c80319c";
    private static final String CALLER = "b7ad6b7169203331";
    private static final String GATEWAY = "00f067aa0ba902b7";
    private static final Instant STARTED = Instant.parse("2026-12-06T10:00:00.000000001Z");
    private static final Clock CLOCK = Clock.fixed(STARTED, ZoneOffset.UTC);
    private static final TracingConfig ON = new TracingConfig("http://127.0.0.1:4318/v1/traces", 1.0, "nest-test", 64);

    private static InvocationSpan span(String id, int status, boolean cold, Optional<String> parent, String flags) {
        Map<String, Double> phases = new LinkedHashMap<>();
        phases.put("queue", 1.0);
        phases.put("init", 20.0);
        phases.put("exec", 5.0);
        InvocationRecord r = new InvocationRecord(id, "shop/checkout", 3, STARTED, 30.0, status, cold, "i-1",
                status >= 500 ? "function failed" : "", phases, TRACE);
        return new InvocationSpan(r, new TraceContext(TRACE, GATEWAY, flags), parent, "http");
    }

    private static SpanData only(InMemorySpanExporter out) {
        List<SpanData> spans = out.getFinishedSpanItems();
        assertEquals(1, spans.size(), spans.toString());
        return spans.getFirst();
    }

    @Test
    void theSpanHasTheInvocationsIdsParentAndFaasAttributes() {
        InMemorySpanExporter out = InMemorySpanExporter.create();
        try (SpanExport export = new SpanExport(out, ON, "node-1", CLOCK, Duration.ofHours(1))) {
            export.accept(span("inv-1", 200, true, Optional.of(CALLER), "01"));
            assertTrue(export.flush(Duration.ofSeconds(10)));
            SpanData s = only(out);
            assertEquals(TRACE, s.getTraceId());
            assertEquals(GATEWAY, s.getSpanId(), "the id the host was given as its parent");
            assertEquals(CALLER, s.getParentSpanId());
            assertTrue(s.getParentSpanContext().isRemote());
            assertEquals(SpanKind.SERVER, s.getKind());
            assertEquals("shop/checkout", s.getName());
            assertEquals("http", s.getAttributes().get(AttributeKey.stringKey("faas.trigger")));
            assertEquals("checkout", s.getAttributes().get(AttributeKey.stringKey("faas.invoked_name")));
            assertEquals("inv-1", s.getAttributes().get(AttributeKey.stringKey("faas.invocation_id")));
            assertEquals(true, s.getAttributes().get(AttributeKey.booleanKey("faas.coldstart")));
            assertEquals("3", s.getAttributes().get(AttributeKey.stringKey("faas.version")));
            assertEquals(200L, s.getAttributes().get(AttributeKey.longKey("http.response.status_code")));
            assertEquals("shop", s.getAttributes().get(AttributeKey.stringKey("nest.namespace")));
            assertEquals(StatusCode.UNSET, s.getStatus().getStatusCode());
            assertEquals("nest-test", s.getResource().getAttribute(AttributeKey.stringKey("service.name")));
            assertEquals("node-1", s.getResource().getAttribute(AttributeKey.stringKey("service.instance.id")));
            long start = STARTED.getEpochSecond() * 1_000_000_000L + STARTED.getNano();
            assertEquals(start, s.getStartEpochNanos());
            assertEquals(start + 30_000_000L, s.getEndEpochNanos());
            List<String> names = s.getEvents().stream().map(EventData::getName).toList();
            assertEquals(List.of("queue", "init", "exec"), names);
            EventData init = s.getEvents().get(1);
            assertEquals(start + 21_000_000L, init.getEpochNanos(), "a phase's event is at its end");
            assertEquals(20.0, init.getAttributes().get(AttributeKey.doubleKey("nest.duration_ms")));
        }
    }

    @Test
    void aTraceTheGatewayStartedIsARootAndA5xxIsAnError() {
        InMemorySpanExporter out = InMemorySpanExporter.create();
        try (SpanExport export = new SpanExport(out, ON, "node-1", CLOCK, Duration.ofHours(1))) {
            export.accept(span("inv-2", 502, false, Optional.empty(), "01"));
            assertTrue(export.flush(Duration.ofSeconds(10)));
            SpanData s = only(out);
            assertEquals(TRACE, s.getTraceId());
            assertEquals(GATEWAY, s.getSpanId());
            assertFalse(s.getParentSpanContext().isValid(), "no parent");
            assertEquals(StatusCode.ERROR, s.getStatus().getStatusCode());
            assertEquals("function failed", s.getStatus().getDescription());
            assertEquals("502", s.getAttributes().get(AttributeKey.stringKey("error.type")));
            assertEquals(false, s.getAttributes().get(AttributeKey.booleanKey("faas.coldstart")));
        }
    }

    @Test
    void samplingFollowsTheCallersFlagAndTheRatioForNewTraces() {
        InMemorySpanExporter out = InMemorySpanExporter.create();
        TracingConfig never = new TracingConfig(ON.otlpEndpoint(), 0.0, "nest", 64);
        try (SpanExport export = new SpanExport(out, never, "node-1", CLOCK, Duration.ofHours(1))) {
            export.accept(span("not-sampled-by-caller", 200, false, Optional.of(CALLER), "00"));
            export.accept(span("new-trace-ratio-0", 200, false, Optional.empty(), "01"));
            export.accept(span("sampled-by-caller", 200, false, Optional.of(CALLER), "01"));
            assertTrue(export.flush(Duration.ofSeconds(10)));
            assertEquals("sampled-by-caller", only(out).getAttributes().get(AttributeKey.stringKey("faas.invocation_id")));
        }
    }

    /** An exporter whose exports finish only when the test says so. */
    private static class HeldExporter implements SpanExporter {
        final List<CompletableResultCode> held = new CopyOnWriteArrayList<>();
        private volatile boolean released;

        @Override
        public CompletableResultCode export(Collection<SpanData> spans) {
            CompletableResultCode r = new CompletableResultCode();
            held.add(r);
            if (released) {
                r.succeed();
            }
            return r;
        }

        /** Finishes every export, held or to come. */
        void release() {
            released = true;
            held.forEach(CompletableResultCode::succeed);
        }

        @Override
        public CompletableResultCode flush() {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode shutdown() {
            release();
            return CompletableResultCode.ofSuccess();
        }
    }

    private static double sample(SpanExport export, String name) {
        return export.samples().stream().filter(m -> m.name().equals(name)).mapToDouble(MetricSample::value)
                .findFirst().orElseThrow();
    }

    @Test
    void aFullQueueDropsAndCountsWithoutWaiting() {
        HeldExporter out = new HeldExporter();
        TracingConfig small = new TracingConfig(ON.otlpEndpoint(), 1.0, "nest", 16);
        try (SpanExport export = new SpanExport(out, small, "node-1", CLOCK, Duration.ofHours(1))) {
            for (int i = 0; i < 20; i++) {
                export.accept(span("inv-" + i, 200, false, Optional.of(CALLER), "01"));
            }
            assertEquals(4, export.dropped(), "16 wait or are being exported; the rest are dropped");
            assertEquals(4.0, sample(export, "nest_trace_spans_dropped_total"));
            out.release();
            assertTrue(export.flush(Duration.ofSeconds(10)));
            assertEquals(16.0, sample(export, "nest_trace_spans_exported_total"));
            export.accept(span("after", 200, false, Optional.of(CALLER), "01"));
            assertEquals(4, export.dropped(), "room again once the exports finished");
        }
    }

    @Test
    void exportFailuresAreLoggedOncePerIntervalWithTheirCount() {
        Instant[] now = {STARTED};
        Clock clock = new Clock() {
            @Override
            public ZoneOffset getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now[0];
            }
        };
        List<String> log = new ArrayList<>();
        java.util.concurrent.atomic.AtomicLong pending = new java.util.concurrent.atomic.AtomicLong(6);
        SpanExporter failing = new HeldExporter() {
            @Override
            public CompletableResultCode export(Collection<SpanData> spans) {
                return CompletableResultCode.ofFailure();
            }
        };
        CountingExporter e = new CountingExporter(failing, pending, clock, Duration.ofMinutes(1), log::add);
        List<SpanData> two = List.of(io.opentelemetry.sdk.testing.trace.TestSpanData.builder()
                        .setName("a").setKind(SpanKind.SERVER).setStartEpochNanos(1).setEndEpochNanos(2).setHasEnded(true)
                        .setStatus(io.opentelemetry.sdk.trace.data.StatusData.unset()).build(),
                io.opentelemetry.sdk.testing.trace.TestSpanData.builder()
                        .setName("b").setKind(SpanKind.SERVER).setStartEpochNanos(1).setEndEpochNanos(2).setHasEnded(true)
                        .setStatus(io.opentelemetry.sdk.trace.data.StatusData.unset()).build());
        e.export(two);
        e.export(two);
        now[0] = STARTED.plusSeconds(30);
        e.export(two);
        assertEquals(1, log.size(), log.toString());
        assertTrue(log.getFirst().contains("2 span(s)"), log.getFirst());
        now[0] = STARTED.plusSeconds(61);
        e.export(two);
        assertEquals(2, log.size(), log.toString());
        assertTrue(log.get(1).contains("6 span(s)"), log.get(1));
        assertEquals(8, e.failed.get());
        assertEquals(-2, pending.get(), "every ended export gives back its spans");
    }
}
