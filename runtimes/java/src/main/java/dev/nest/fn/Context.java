package dev.nest.fn;

import java.util.Map;

/** What a function knows about the invocation it is running: passed as the second argument of {@code handle}. */
public interface Context {

    /** The function's {@code namespace/name}. */
    String functionName();

    /** The deployed version of the function. */
    String functionVersion();

    /** The id of this invocation (also the event's {@code requestContext.requestId}). */
    String invocationId();

    /** Milliseconds left until the invocation's deadline (never negative). */
    long remainingTimeMillis();

    /** The memory the function was deployed with, in MiB. */
    int memoryLimitMb();

    /** A logger whose lines are attributed to this invocation. */
    Logger logger();

    /** The function's environment (read-only; {@code System.getenv()} is not modified). */
    Map<String, String> env();

    /**
     * The W3C {@code traceparent} this invocation runs in (the gateway's span as parent), to pass on to calls the
     * function makes; empty when the host got none.
     */
    default String traceparent() {
        return "";
    }

    /** The trace id of {@link #traceparent()} (32 hex digits), empty when there is none. */
    default String traceId() {
        String t = traceparent();
        return t.length() == 55 ? t.substring(3, 35) : "";
    }
}
