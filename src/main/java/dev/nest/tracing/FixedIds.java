package dev.nest.tracing;

import io.opentelemetry.sdk.trace.IdGenerator;

/**
 * The SDK's id source, answering with the ids the gateway already chose and passed on (so that the exported span's id
 * is the parent the function saw). {@link #use} sets them for the span the calling thread starts next; without them
 * (nothing of Nest starts spans otherwise) it falls back to random ids. Thread-safe: one pair per thread.
 */
final class FixedIds implements IdGenerator {
    private final ThreadLocal<String[]> next = new ThreadLocal<>();

    /** The trace and span id of the span this thread starts next. */
    void use(String traceId, String spanId) {
        next.set(new String[] {traceId, spanId});
    }

    void clear() {
        next.remove();
    }

    @Override
    public String generateSpanId() {
        String[] ids = next.get();
        return ids == null ? IdGenerator.random().generateSpanId() : ids[1];
    }

    @Override
    public String generateTraceId() {
        String[] ids = next.get();
        return ids == null ? IdGenerator.random().generateTraceId() : ids[0];
    }
}
