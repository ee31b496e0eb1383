package dev.nest.tracing;

import dev.nest.config.TracingConfig;
import dev.nest.gateway.InvocationSpan;
import dev.nest.metrics.MetricSample;
import dev.nest.store.InvocationRecord;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Turns each invocation the gateway served ({@link InvocationSpan}) into one OpenTelemetry span and exports it in
 * batches: kind SERVER, named after the function, in the invocation's trace, child of the caller's span when the
 * request carried a {@code traceparent}, with the span id the host was given as its parent (the SDK takes its ids
 * from {@link FixedIds}), so the function's own spans nest under it. Attributes follow OpenTelemetry's FaaS and HTTP
 * conventions ({@code faas.trigger}, {@code faas.invoked_name}, {@code faas.invocation_id}, {@code faas.coldstart},
 * {@code faas.version}, {@code http.response.status_code}); each phase (queue, acquire, load, init, exec, ...) is an
 * event at the time it ended with its {@code nest.duration_ms}; a 5xx sets status ERROR.
 *
 * <p>Never blocks the data path: {@link #accept} (gateway loop threads) only builds the span and hands it to the
 * SDK's {@link BatchSpanProcessor}, whose worker thread exports; when {@code queue-size} spans are already waiting or
 * being exported, a new one is dropped and counted ({@code nest_trace_spans_dropped_total}). A failed export loses its
 * batch (no retry beyond the exporter's own), is counted and logged at most once a minute. Sampling: a trace that
 * arrived sampled (or not) is exported (or not); a trace the gateway started is exported with {@code sample-ratio}.
 * Thread-safe; {@link #close} flushes what is queued (up to 10 s) and stops the worker.
 */
public final class SpanExport implements Consumer<InvocationSpan>, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SpanExport.class.getName());
    static final String SCOPE = "dev.nest.gateway";
    private final SdkTracerProvider provider;
    private final Tracer tracer;
    private final FixedIds ids = new FixedIds();
    private final AtomicLong pending = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final CountingExporter exporter;
    private final int queueSize;

    /**
     * Exports through {@code exporter}.
     *
     * @param nodeId the {@code service.instance.id} of the spans
     * @param clock  for the once-per-interval failure log
     * @param scheduleDelay how long the processor waits to fill a batch
     */
    SpanExport(SpanExporter exporter, TracingConfig config, String nodeId, Clock clock, Duration scheduleDelay) {
        this.queueSize = config.queueSize();
        this.exporter = new CountingExporter(exporter, pending, clock, Duration.ofMinutes(1), LOG::warning);
        this.provider = SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(
                        AttributeKey.stringKey("service.name"), config.serviceName(),
                        AttributeKey.stringKey("service.instance.id"), nodeId))))
                .setIdGenerator(ids)
                .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(config.sampleRatio())))
                .addSpanProcessor(BatchSpanProcessor.builder(this.exporter)
                        .setMaxQueueSize(config.queueSize())
                        .setMaxExportBatchSize(Math.min(512, config.queueSize()))
                        .setScheduleDelay(scheduleDelay)
                        .build())
                .build();
        this.tracer = provider.get(SCOPE);
    }

    /** Exports to {@code config}'s OTLP/HTTP endpoint (protobuf), which must be set. */
    public static SpanExport otlp(TracingConfig config, String nodeId, Clock clock) {
        if (!config.enabled()) {
            throw new IllegalArgumentException("tracing.otlp-endpoint is empty: span export is off");
        }
        return new SpanExport(OtlpHttpSpanExporter.builder().setEndpoint(config.otlpEndpoint())
                .setTimeout(Duration.ofSeconds(10)).build(), config, nodeId, clock, Duration.ofSeconds(1));
    }

    /** Builds and queues the span of {@code s}; drops it when the queue is full. Never throws, never blocks. */
    @Override
    public void accept(InvocationSpan s) {
        try {
            InvocationRecord r = s.record();
            long start = nanos(r.startedAt());
            long end = start + Math.max(0, (long) (r.durationMs() * 1e6));
            String function = r.function();
            SpanBuilder b = tracer.spanBuilder(function).setSpanKind(SpanKind.SERVER)
                    .setStartTimestamp(start, TimeUnit.NANOSECONDS);
            TraceFlags flags = TraceFlags.fromHex(s.trace().flags(), 0);
            if (s.parentSpanId().isPresent()) {
                b.setParent(Context.root().with(Span.wrap(SpanContext.createFromRemoteParent(s.trace().traceId(),
                        s.parentSpanId().get(), flags, TraceState.getDefault()))));
            } else {
                b.setNoParent();
            }
            int slash = function.indexOf('/');
            b.setAttribute("faas.trigger", s.trigger())
                    .setAttribute("faas.invoked_name", slash < 0 ? function : function.substring(slash + 1))
                    .setAttribute("faas.invocation_id", r.id())
                    .setAttribute("faas.coldstart", r.cold())
                    .setAttribute("faas.version", Integer.toString(r.version()))
                    .setAttribute("http.response.status_code", (long) r.status());
            if (slash > 0) {
                b.setAttribute("nest.namespace", function.substring(0, slash));
            }
            if (!r.instance().isEmpty()) {
                b.setAttribute("nest.instance", r.instance());
            }
            Span span;
            ids.use(s.trace().traceId(), s.trace().parentId());
            try {
                span = b.startSpan();
            } finally {
                ids.clear();
            }
            if (!span.getSpanContext().isSampled()) {
                return; // a non-recording span: nothing to end or export
            }
            if (pending.incrementAndGet() > queueSize) {
                pending.decrementAndGet();
                dropped.incrementAndGet();
                return; // never ended, never queued: garbage
            }
            long at = start;
            for (Map.Entry<String, Double> p : r.phases().entrySet()) {
                at = Math.min(end, at + Math.max(0, (long) (p.getValue() * 1e6)));
                span.addEvent(p.getKey(), Attributes.of(AttributeKey.doubleKey("nest.duration_ms"), p.getValue()),
                        at, TimeUnit.NANOSECONDS);
            }
            if (r.status() >= 500) {
                span.setAttribute("error.type", Integer.toString(r.status()));
                span.setStatus(StatusCode.ERROR, r.error().isEmpty() ? "HTTP " + r.status() : r.error());
            }
            span.end(end, TimeUnit.NANOSECONDS);
        } catch (RuntimeException e) {
            dropped.incrementAndGet();
            LOG.fine(() -> "span of an invocation not built: " + e);
        }
    }

    private static long nanos(Instant t) {
        return TimeUnit.SECONDS.toNanos(t.getEpochSecond()) + t.getNano();
    }

    /** Exports what is queued now; waits up to {@code timeout}. Whether it finished in time. */
    public boolean flush(Duration timeout) {
        return provider.forceFlush().join(timeout.toMillis(), TimeUnit.MILLISECONDS).isSuccess();
    }

    /** This node's span counters for {@code /metrics}. */
    public List<MetricSample> samples() {
        return List.of(
                new MetricSample("nest_trace_spans_exported_total", "counter", "Invocation spans exported over OTLP.",
                        List.of(), exporter.exported.get()),
                new MetricSample("nest_trace_spans_dropped_total", "counter",
                        "Invocation spans dropped before export (queue full).", List.of(), dropped.get()),
                new MetricSample("nest_trace_spans_failed_total", "counter",
                        "Invocation spans lost because their export failed.", List.of(), exporter.failed.get()));
    }

    long dropped() {
        return dropped.get();
    }

    @Override
    public void close() {
        provider.shutdown().join(10, TimeUnit.SECONDS);
    }
}
