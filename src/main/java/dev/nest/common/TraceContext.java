package dev.nest.common;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * A W3C Trace Context position ({@code traceparent}: {@code 00-<trace id>-<parent id>-<flags>}), as the gateway
 * accepts, starts and passes it on.
 *
 * <p>Parsing is strict ({@link #parse}): lowercase hex only, the exact field lengths, no all-zero trace or parent
 * id, version {@code ff} refused, version {@code 00} exactly 55 characters (a later version may append
 * {@code -...}, which is dropped: Nest speaks version 00). A value that fails is never passed on: the gateway starts a
 * new trace instead ({@link #continueOrStart}) and drops the caller's {@code tracestate} with it, as the
 * specification asks. Pure; thread-safe.
 *
 * @param traceId  32 lowercase hex digits, not all zero
 * @param parentId 16 lowercase hex digits, not all zero: the span that the next hop's work is a child of
 * @param flags    2 lowercase hex digits ({@code 01}: sampled)
 */
public record TraceContext(String traceId, String parentId, String flags) {
    /** The header's name. */
    public static final String HEADER = "traceparent";
    /** The vendor state header, dropped with an invalid {@code traceparent}. */
    public static final String STATE_HEADER = "tracestate";
    private static final String ZERO_TRACE = "0".repeat(32);
    private static final String ZERO_SPAN = "0".repeat(16);

    /** The header value, version 00. */
    public String header() {
        return "00-" + traceId + "-" + parentId + "-" + flags;
    }

    /** A valid {@code traceparent} value; empty for anything else (wrong length, case, characters, zero ids, ...). */
    public static Optional<TraceContext> parse(String value) {
        if (value == null) {
            return Optional.empty();
        }
        String v = value.strip();
        if (v.length() < 55 || v.length() > 512 || !hex(v, 0, 2) || v.charAt(2) != '-' || !hex(v, 3, 35)
                || v.charAt(35) != '-' || !hex(v, 36, 52) || v.charAt(52) != '-' || !hex(v, 53, 55)) {
            return Optional.empty();
        }
        String version = v.substring(0, 2);
        if (version.equals("ff") || version.equals("00") && v.length() != 55
                || v.length() > 55 && v.charAt(55) != '-') {
            return Optional.empty();
        }
        String trace = v.substring(3, 35);
        String parent = v.substring(36, 52);
        if (trace.equals(ZERO_TRACE) || parent.equals(ZERO_SPAN)) {
            return Optional.empty();
        }
        return Optional.of(new TraceContext(trace, parent, v.substring(53, 55)));
    }

    private static boolean hex(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    /** A new trace (sampled), with a new span as its parent. */
    public static TraceContext start(RandomGenerator random) {
        byte[] ids = new byte[48]; // both ids' digits in one array, cut into the two strings
        fill(random, ids, 0, 32);
        fill(random, ids, 32, 16);
        return new TraceContext(new String(ids, 0, 32, java.nio.charset.StandardCharsets.ISO_8859_1),
                new String(ids, 32, 16, java.nio.charset.StandardCharsets.ISO_8859_1), "01");
    }

    /** The same trace with a new span (this hop's) as the next hop's parent. */
    public TraceContext child(RandomGenerator random) {
        return new TraceContext(traceId, hex(random, 16), flags);
    }

    private static final byte[] DIGITS = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);

    /** {@code digits} (16 or 32) random lowercase hex digits, never all zero; one array, no intermediate strings. */
    private static String hex(RandomGenerator random, int digits) {
        byte[] out = new byte[digits];
        fill(random, out, 0, digits);
        return new String(out, java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    /** Writes {@code digits} (16 or 32) random lowercase hex digits, never all zero, into {@code out} at {@code from}. */
    private static void fill(RandomGenerator random, byte[] out, int from, int digits) {
        long any;
        do {
            any = 0;
            for (int i = from; i < from + digits; i += 16) {
                long v = random.nextLong();
                any |= v;
                for (int j = 15; j >= 0; j--) {
                    out[i + j] = DIGITS[(int) (v & 0xf)];
                    v >>>= 4;
                }
            }
        } while (any == 0);
    }

    /**
     * This hop's span in the trace the request carries: a child of its valid {@code traceparent}, else a new trace.
     *
     * @param headers name, value, name, value, ...
     */
    public static TraceContext continueOrStart(List<String> headers, RandomGenerator random) {
        return continueOrStart(incoming(headers), random);
    }

    /** {@link #continueOrStart(List, RandomGenerator)} for a request whose {@link #incoming} trace is known. */
    public static TraceContext continueOrStart(Optional<TraceContext> incoming, RandomGenerator random) {
        return incoming.isPresent() ? incoming.get().child(random) : start(random);
    }

    /** The request's {@code traceparent}, when there is exactly one and it is valid. */
    public static Optional<TraceContext> incoming(List<String> headers) {
        Optional<TraceContext> found = Optional.empty();
        for (int i = 0; i + 1 < headers.size(); i += 2) {
            if (headers.get(i).equalsIgnoreCase(HEADER)) {
                if (found.isPresent()) {
                    return Optional.empty(); // two are as good as none
                }
                found = parse(headers.get(i + 1));
                if (found.isEmpty()) {
                    return Optional.empty();
                }
            }
        }
        return found;
    }

    /**
     * {@code headers} with {@code traceparent} set to {@code trace} (every other one removed); the caller's
     * {@code tracestate} is kept only when its {@code traceparent} was valid. A new list.
     */
    public static List<String> withTrace(List<String> headers, TraceContext trace) {
        boolean keepState = incoming(headers).map(t -> t.traceId().equals(trace.traceId())).orElse(false);
        List<String> out = new ArrayList<>(headers.size() + 2);
        out.addAll(headers);
        setTrace(out, trace, keepState);
        return out;
    }

    /**
     * {@link #withTrace} in place, on a list of the caller's that can change (names and values alternating):
     * {@code traceparent} set to {@code trace}, every other one removed, {@code tracestate} kept only when
     * {@code keepState} (the caller knows whether {@code trace} continues the request's valid {@code traceparent}).
     */
    public static void setTrace(List<String> headers, TraceContext trace, boolean keepState) {
        int kept = 0;
        for (int i = 0; i + 1 < headers.size(); i += 2) {
            String n = headers.get(i);
            if (n.equalsIgnoreCase(HEADER) || !keepState && n.equalsIgnoreCase(STATE_HEADER)) {
                continue;
            }
            if (kept != i) {
                headers.set(kept, n);
                headers.set(kept + 1, headers.get(i + 1));
            }
            kept += 2;
        }
        headers.subList(kept, headers.size()).clear();
        headers.add(HEADER);
        headers.add(trace.header());
    }

    /**
     * {@code headers} that carry a valid {@code traceparent}: unchanged when they do, else with a new trace (for
     * work that is stored now and run later, so that every attempt is in the same trace).
     */
    public static List<String> ensured(List<String> headers, RandomGenerator random) {
        return incoming(headers).isPresent() ? headers : withTrace(headers, start(random));
    }
}
