package dev.nest.tracing;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Wraps the real exporter: counts the spans it was handed ({@link #pending} goes down when a batch's export ends,
 * however it ends), the spans exported and the spans whose export failed, and reports a failure to {@code log} at
 * most once per {@code interval} (with the count since the last report), never once per span. Called by the batch
 * processor's worker thread; the counters are read from any thread.
 */
final class CountingExporter implements SpanExporter {
    private final SpanExporter delegate;
    private final AtomicLong pending;
    final AtomicLong exported = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    private final AtomicLong unreported = new AtomicLong();
    private final AtomicReference<Instant> lastReport = new AtomicReference<>(Instant.MIN);
    private final Clock clock;
    private final Duration interval;
    private final Consumer<String> log;

    CountingExporter(SpanExporter delegate, AtomicLong pending, Clock clock, Duration interval, Consumer<String> log) {
        this.delegate = delegate;
        this.pending = pending;
        this.clock = clock;
        this.interval = interval;
        this.log = log;
    }

    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
        int n = spans.size();
        CompletableResultCode result;
        try {
            result = delegate.export(spans);
        } catch (RuntimeException e) {
            result = CompletableResultCode.ofExceptionalFailure(e);
        }
        CompletableResultCode r = result;
        r.whenComplete(() -> {
            pending.addAndGet(-n);
            if (r.isSuccess()) {
                exported.addAndGet(n);
            } else {
                failed.addAndGet(n);
                failure(n, r.getFailureThrowable());
            }
        });
        return r;
    }

    private void failure(int n, Throwable cause) {
        long since = unreported.addAndGet(n);
        Instant now = clock.instant();
        Instant last = lastReport.get();
        if (!now.isBefore(last.plus(interval))) {
            if (lastReport.compareAndSet(last, now)) {
                unreported.addAndGet(-since);
                log.accept("OTLP span export failed: " + since + " span(s) lost since the last report"
                        + (cause == null ? "" : " (" + cause + ")") + "; the next failure report comes after " + interval);
            }
        }
    }

    @Override
    public CompletableResultCode flush() {
        return delegate.flush();
    }

    @Override
    public CompletableResultCode shutdown() {
        return delegate.shutdown();
    }
}
