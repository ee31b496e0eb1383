package dev.nest.host;

import com.sun.net.httpserver.Headers;
import dev.nest.fn.HttpEvent;
import dev.nest.fn.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * One invocation's work, run on its own thread by {@link DeadlineRun}: calls the function with the instance's class
 * loader as context loader and the invocation's log routing, then encodes the result (which may run the function's
 * getters: still inside the invocation) into a status, a body and headers of its own, so that a work that finishes
 * after its deadline touches nothing the answering thread uses. Afterwards exactly one of {@link #failure} (what the
 * function threw), {@link #responseError} (a result that is no valid HTTP response) or {@link #reply} is set.
 *
 * <p>Threads: {@link #call} runs on the work's thread; the answering thread reads the fields after the run is done.
 */
final class InvocationWork implements Callable<InvocationWork> {
    private static final String JSON = "application/json";

    private final Instance sb;
    private final Invocation inv;
    private final Map<String, Object> event;
    private final HttpEvent httpEvent;
    private final String rawBody;
    final Headers headers = new Headers();
    Throwable failure;
    String responseError;
    Reply reply;

    InvocationWork(Instance sb, Invocation inv, Map<String, Object> event, HttpEvent httpEvent, String rawBody) {
        this.sb = sb;
        this.inv = inv;
        this.event = event;
        this.httpEvent = httpEvent;
        this.rawBody = rawBody;
    }

    @Override
    public InvocationWork call() {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(sb.loader);
        LogRouter.CURRENT.set(inv);
        try {
            Object result = null;
            try {
                result = sb.call(event, httpEvent, rawBody, inv);
            } catch (Throwable t) {
                failure = t;
            }
            if (failure == null) {
                try {
                    reply = toResponse(result, headers);
                } catch (ResponseException | Json.JsonException e) {
                    responseError = e.getMessage();
                } catch (RuntimeException | LinkageError e) {
                    responseError = "cannot encode the result: " + e;
                }
            }
        } finally {
            inv.finish();
            LogRouter.CURRENT.remove();
            thread.setContextClassLoader(previous);
        }
        return this;
    }

    // ------------------------------------------------------------------ results

    /** A result that is not a valid HTTP response. */
    static final class ResponseException extends Exception {
        private static final long serialVersionUID = 1L;

        ResponseException(String message) {
            super(message, null, false, false);
        }
    }

    record Reply(int status, byte[] body) {}

    private static final byte[] EMPTY = new byte[0];

    /** Turns a handler's result into a status and body, setting the response headers on {@code h}. */
    private static Reply toResponse(Object result, Headers h) throws ResponseException {
        if (result instanceof HttpResponse r) {
            return httpResponse(r.statusCode(), r.headers(), null, r.body(), r.isBase64Encoded(), h);
        }
        if (result instanceof Map<?, ?> m && statusCode(m) instanceof Number code) {
            double d = code.doubleValue();
            if (d != Math.rint(d) || d < Integer.MIN_VALUE || d > Integer.MAX_VALUE) {
                throw new ResponseException("invalid statusCode " + code + " (must be an integer from 200 to 599)");
            }
            Object headers = m.get("headers");
            Object multi = m.get("multiValueHeaders");
            if (headers != null && !(headers instanceof Map)) {
                throw new ResponseException("headers must be an object of strings");
            }
            if (multi != null && !(multi instanceof Map)) {
                throw new ResponseException("multiValueHeaders must be an object of string lists");
            }
            Object b64 = m.get("isBase64Encoded");
            return httpResponse((int) d, (Map<?, ?>) headers, (Map<?, ?>) multi, m.get("body"),
                    Boolean.TRUE.equals(b64) || "true".equals(b64), h);
        }
        if (result instanceof byte[] bytes) {
            h.set("Content-Type", "application/octet-stream");
            return new Reply(200, bytes);
        }
        byte[] json = Json.writeBytes(result);
        h.set("Content-Type", JSON);
        return new Reply(200, json);
    }

    private static Object statusCode(Map<?, ?> m) {
        try {
            return m.get("statusCode");
        } catch (RuntimeException e) {
            return null; // e.g. a TreeMap with non-String keys: not a response object
        }
    }

    private static Reply httpResponse(int status, Map<?, ?> headers, Map<?, ?> multi, Object body, boolean base64,
            Headers h) throws ResponseException {
        if (status < 200 || status > 599) {
            throw new ResponseException("invalid statusCode " + status + " (must be an integer from 200 to 599)");
        }
        if (headers != null) {
            for (Map.Entry<?, ?> e : headers.entrySet()) {
                if (e.getValue() == null) continue;
                String name = headerName(e.getKey());
                if (name == null) continue;
                h.set(name, headerValue(name, e.getValue()));
            }
        }
        if (multi != null) {
            for (Map.Entry<?, ?> e : multi.entrySet()) {
                if (e.getValue() == null) continue;
                String name = headerName(e.getKey());
                if (name == null) continue;
                List<String> values = new ArrayList<>();
                if (e.getValue() instanceof Iterable<?> it) {
                    for (Object v : it) if (v != null) values.add(headerValue(name, v));
                } else {
                    values.add(headerValue(name, e.getValue()));
                }
                h.put(name, values);
            }
        }
        byte[] bytes;
        String defaultType;
        if (body == null) {
            bytes = EMPTY;
            defaultType = null;
        } else if (body instanceof String s) {
            if (base64) {
                try {
                    bytes = Base64.getDecoder().decode(stripWhitespace(s));
                } catch (IllegalArgumentException e) {
                    throw new ResponseException("body is not valid base64 although isBase64Encoded is true: "
                            + e.getMessage());
                }
                defaultType = "application/octet-stream";
            } else {
                bytes = s.getBytes(StandardCharsets.UTF_8);
                defaultType = "text/plain; charset=utf-8";
            }
        } else {
            bytes = Json.writeBytes(body);
            defaultType = JSON;
        }
        if (defaultType != null && !h.containsKey("Content-Type")) h.set("Content-Type", defaultType);
        return new Reply(status, bytes);
    }

    private static String stripWhitespace(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isWhitespace(s.charAt(i))) return s.replaceAll("\\s+", "");
        }
        return s;
    }

    /** The header name to send, or null for headers the host controls (framing, connection). */
    private static String headerName(Object key) throws ResponseException {
        String name = String.valueOf(key);
        if (name.isEmpty()) throw new ResponseException("empty header name");
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c <= 0x20 || c >= 0x7f || "()<>@,;:\\\"/[]?={}".indexOf(c) >= 0) {
                throw new ResponseException("invalid header name \"" + name + "\"");
            }
        }
        switch (name.toLowerCase(Locale.ROOT)) {
            case "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "trailer", "te":
                return null;
            default:
                return name;
        }
    }

    private static String headerValue(String name, Object value) throws ResponseException {
        String v = String.valueOf(value);
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '\r' || c == '\n' || c == 0) {
                throw new ResponseException("invalid value for header " + name + ": it contains a line break");
            }
        }
        return v;
    }
}
