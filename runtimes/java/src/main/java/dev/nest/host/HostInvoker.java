package dev.nest.host;

import static dev.nest.host.HostRoutes.error;
import static dev.nest.host.HostRoutes.errorBody;
import static dev.nest.host.HostRoutes.send;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import dev.nest.fn.HttpEvent;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@code /invoke/{id}/...}: turns the request into the event the instance's handler takes (a map, an
 * {@link HttpEvent} or the raw body), runs it within its deadline ({@code X-Nest-Deadline}, else the instance's
 * timeout) through {@link DeadlineRun} (on the instance's own {@link FunctionThreads} in a merged pod, else on a
 * fresh thread) and writes the function's reply; counts the host's in-flight invocations so that a stopping host can
 * drain them.
 *
 * <p>Failure: an unknown or unloading instance is 404, a stopping host 503; a function that throws is 500
 * ({@code function-error}), one whose result cannot be encoded 502 ({@code response-error}), one past its deadline is
 * interrupted and answered 504 ({@code timeout}). An invocation that ignores its interruption for
 * {@link DeadlineRun#INTERRUPT_GRACE_MILLIS} marks its instance unhealthy ({@link #INSTANCE_HEALTH} on every reply
 * after), so that the node agent replaces it. A failure of the host itself is thrown to {@link HostRoutes#handle}.
 *
 * <p>Threads: {@link #invoke} runs on the request's virtual thread, concurrently with any other; the in-flight count is
 * guarded by a lock, {@link #stop} may be called from any thread.
 */
final class HostInvoker {

    private static final PrintStream DISCARD = new PrintStream(OutputStream.nullOutputStream(), true,
            StandardCharsets.UTF_8);

    private final HostInstances instances;
    private final PrintStream out;
    private final PrintStream err;
    private final AtomicLong localIds = new AtomicLong();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition idle = lock.newCondition();
    private int inFlight;
    private volatile boolean stopping;

    HostInvoker(HostInstances instances, PrintStream out, PrintStream err) {
        this.instances = instances;
        this.out = out;
        this.err = err;
    }

    /**
     * Refuses new invocations from now on and waits up to {@code drainMillis} for the in-flight ones to end
     * (returns early when the waiting thread is interrupted, its interrupt status set again).
     */
    void stop(long drainMillis) {
        stopping = true;
        lock.lock();
        try {
            long nanos = TimeUnit.MILLISECONDS.toNanos(drainMillis);
            while (inFlight > 0 && nanos > 0) nanos = idle.awaitNanos(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    /** Answers {@code /invoke/{id}{rest}}; {@code rawPath} starts with {@code /invoke/}. */
    void invoke(HttpExchange ex, String method, String rawPath) throws IOException {
        int slash = rawPath.indexOf('/', 8);
        String id = slash < 0 ? rawPath.substring(8) : rawPath.substring(8, slash);
        String rest = slash < 0 ? "/" : rawPath.substring(slash);
        Instance sb = instances.get(id);
        if (stopping) {
            error(ex, 503, "not-loaded", "shutting down", "the host is stopping; instance " + id + " takes no more invocations");
            return;
        }
        if (sb == null || !sb.acquire()) {
            error(ex, 404, "not-loaded", "not loaded", "instance " + id + " is not loaded in this host");
            return;
        }
        begin();
        try {
            invoke(ex, sb, method, rest);
        } finally {
            sb.release();
            end();
        }
    }

    private void invoke(HttpExchange ex, Instance sb, String method, String rest) throws IOException {
        byte[] raw = ex.getRequestBody().readAllBytes();
        Headers rh = ex.getRequestHeaders();

        String invocationId = rh.getFirst("X-Nest-Invocation-Id");
        invocationId = invocationId == null || invocationId.isEmpty()
                ? "local-" + localIds.incrementAndGet() : sanitize(invocationId);
        long deadline = Long.MAX_VALUE;
        String dl = rh.getFirst("X-Nest-Deadline");
        if (dl != null) {
            try {
                deadline = Long.parseLong(dl.trim());
            } catch (NumberFormatException ignored) {
                dl = null;
            }
        }
        if (dl == null && sb.timeoutMs > 0) deadline = System.currentTimeMillis() + sb.timeoutMs;

        // headers: lower-case names, X-Nest-* removed
        int n = rh.size();
        Map<String, String> headers = new LinkedHashMap<>(n * 2);
        Map<String, List<String>> multiHeaders = new LinkedHashMap<>(n * 2);
        for (Map.Entry<String, List<String>> e : rh.entrySet()) {
            String name = e.getKey().toLowerCase(Locale.ROOT);
            if (name.startsWith("x-nest-")) continue;
            List<String> values = e.getValue();
            if (values == null || values.isEmpty()) continue;
            multiHeaders.put(name, values);
            headers.put(name, values.size() == 1 ? values.get(0)
                    : String.join(name.equals("cookie") ? "; " : ", ", values));
        }

        // query
        String rawQuery = ex.getRequestURI().getRawQuery();
        boolean hasQuery = rawQuery != null && !rawQuery.isEmpty();
        Map<String, String> query = new LinkedHashMap<>();
        Map<String, List<String>> multiQuery = new LinkedHashMap<>();
        if (hasQuery) parseQuery(rawQuery, query, multiQuery);

        // body
        String body = null;
        boolean base64 = false;
        if (raw.length > 0) {
            if (isTextual(headers.get("content-type"))) {
                body = new String(raw, StandardCharsets.UTF_8);
            } else {
                body = Base64.getEncoder().encodeToString(raw);
                base64 = true;
            }
        }

        Map<String, Object> event = null;
        HttpEvent httpEvent = null;
        String rawBody = null;
        if (sb.wantsMap()) {
            event = new LinkedHashMap<>(16);
            event.put("method", method);
            event.put("httpMethod", method);
            event.put("path", rest);
            event.put("query", query);
            event.put("queryStringParameters", hasQuery ? query : null);
            event.put("multiValueQueryStringParameters", hasQuery ? multiQuery : null);
            event.put("headers", headers);
            event.put("multiValueHeaders", multiHeaders);
            event.put("body", body);
            event.put("isBase64Encoded", base64);
            Map<String, Object> rc = new LinkedHashMap<>(4);
            rc.put("requestId", invocationId);
            rc.put("httpMethod", method);
            rc.put("path", rest);
            event.put("requestContext", rc);
        } else if (sb.wantsEvent()) {
            httpEvent = new HttpEvent(method, rest, query, multiQuery, headers, multiHeaders, body, base64);
        } else if (sb.wantsBody()) {
            rawBody = raw.length == 0 ? null : base64 ? new String(raw, StandardCharsets.UTF_8) : body;
        }

        Invocation inv = sb.quiet ? new Invocation(sb, invocationId, deadline, DISCARD, DISCARD)
                : new Invocation(sb, invocationId, deadline, out, err);
        inv.traceparent(rh.getFirst("traceparent"));
        InvocationWork work = new InvocationWork(sb, inv, event, httpEvent, rawBody);
        FunctionThreads own = sb.threads;
        DeadlineRun<InvocationWork> run = own != null
                ? DeadlineRun.runOn(own, work, deadline, System.currentTimeMillis(), DeadlineRun.INTERRUPT_GRACE_MILLIS)
                : DeadlineRun.run(work, deadline, System.currentTimeMillis(), DeadlineRun.INTERRUPT_GRACE_MILLIS,
                        "nest-invoke-" + invocationId);
        Headers responseHeaders = ex.getResponseHeaders();
        if (run.outcome() == DeadlineRun.Outcome.STUCK) {
            sb.markUnhealthy("invocation " + invocationId + " ignored its interruption at the deadline for "
                    + DeadlineRun.INTERRUPT_GRACE_MILLIS + " ms and still runs");
            inv.log(err, Invocation.ERROR, "the invocation still runs " + DeadlineRun.INTERRUPT_GRACE_MILLIS
                    + " ms after it was interrupted at its deadline: the instance is unhealthy and will be replaced");
        }
        sb.unhealthy().ifPresent(why -> responseHeaders.set(INSTANCE_HEALTH, "unhealthy"));
        switch (run.outcome()) {
            case TIMED_OUT, STUCK -> {
                String detail = "function " + sb.function + " did not finish within its timeout"
                        + (sb.timeoutMs > 0 ? " of " + sb.timeoutMs + " ms" : "")
                        + "; the host interrupted it and ended the invocation. Make the function faster or raise its timeout";
                inv.log(err, Invocation.ERROR, "timed out: " + detail);
                Map<String, Object> m = new LinkedHashMap<>(6);
                m.put("error", "function timed out");
                m.put("detail", detail);
                if (sb.timeoutMs > 0) m.put("timeoutMs", sb.timeoutMs);
                m.put("invocationId", invocationId);
                errorBody(ex, 504, "timeout", m);
                return;
            }
            case INTERRUPTED -> {
                error(ex, 503, "not-loaded", "shutting down", "the host stopped while invocation " + invocationId + " ran");
                return;
            }
            case DONE -> { }
        }
        if (run.failure() != null) {
            // the work catches what the function throws; anything else is the host's own failure
            throw new IOException("invocation " + invocationId + " failed in the host", run.failure());
        }
        InvocationWork done = run.value();
        Throwable failure = done.failure;
        if (failure != null) {
            inv.logStackTrace(failure);
            Map<String, Object> m = new LinkedHashMap<>(6);
            m.put("error", "function error");
            m.put("detail", failure.getMessage() != null ? failure.getMessage() : failure.getClass().getName());
            m.put("type", failure.getClass().getName());
            m.put("invocationId", invocationId);
            errorBody(ex, 500, "function-error", m);
        } else if (done.responseError != null) {
            inv.log(err, Invocation.ERROR, "invalid response: " + done.responseError);
            Map<String, Object> m = new LinkedHashMap<>(6);
            m.put("error", "invalid response");
            m.put("detail", done.responseError);
            m.put("invocationId", invocationId);
            errorBody(ex, 502, "response-error", m);
        } else {
            responseHeaders.putAll(done.headers);
            send(ex, done.reply.status(), done.reply.body());
        }
    }

    /** The header that tells the node agent an instance must be replaced once its in-flight requests end. */
    static final String INSTANCE_HEALTH = "X-Nest-Instance-Health";

    private static String sanitize(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) return s.replaceAll("[\\x00-\\x1f\\x7f]", "_");
        }
        return s;
    }

    static void parseQuery(String raw, Map<String, String> last, Map<String, List<String>> all) {
        int i = 0;
        int len = raw.length();
        while (i <= len) {
            int amp = raw.indexOf('&', i);
            if (amp < 0) amp = len;
            if (amp > i) {
                int eq = raw.indexOf('=', i);
                String k;
                String v;
                if (eq < 0 || eq > amp) {
                    k = decode(raw.substring(i, amp));
                    v = "";
                } else {
                    k = decode(raw.substring(i, eq));
                    v = decode(raw.substring(eq + 1, amp));
                }
                last.put(k, v);
                List<String> values = all.get(k);
                if (values == null) {
                    values = new ArrayList<>(2);
                    all.put(k, values);
                }
                values.add(v);
            }
            i = amp + 1;
        }
    }

    private static String decode(String s) {
        if (s.indexOf('%') < 0 && s.indexOf('+') < 0) return s;
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s; // malformed escape: keep it as sent
        }
    }

    /** Whether a body of this content type is passed as a UTF-8 string (otherwise base64). */
    static boolean isTextual(String contentType) {
        if (contentType == null) return true;
        int semi = contentType.indexOf(';');
        String t = (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
        return t.isEmpty() || t.startsWith("text/") || t.equals("application/json") || t.endsWith("+json")
                || t.equals("application/xml") || t.endsWith("+xml") || t.equals("application/javascript")
                || t.equals("application/x-www-form-urlencoded");
    }

    /** The invocations running now. */
    int inFlight() {
        lock.lock();
        try {
            return inFlight;
        } finally {
            lock.unlock();
        }
    }

    private void begin() {
        lock.lock();
        try {
            inFlight++;
        } finally {
            lock.unlock();
        }
    }

    private void end() {
        lock.lock();
        try {
            if (--inFlight == 0) idle.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
