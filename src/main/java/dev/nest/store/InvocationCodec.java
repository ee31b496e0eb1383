package dev.nest.store;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * The stored form of a batch of invocation records: one tab-separated line per record, deflated. Writing a
 * batch of thousands of invocations costs one database row instead of thousands, which keeps recording off
 * the invocation path's CPU budget. Text fields escape backslash, tab and newline.
 *
 * <p>Versions: the eleventh field (the trace id) came later; a line with ten fields (a database written before it)
 * decodes with an empty trace id, so old databases stay readable without rewriting their rows.
 */
final class InvocationCodec {
    private static final int FIELDS = 10;

    private InvocationCodec() {
    }

    static byte[] encode(List<InvocationRecord> records) {
        try (Encoder e = new Encoder()) {
            return e.encode(records);
        }
    }

    /**
     * Encodes batches reusing its text buffer, byte buffers and deflater (whose native state costs more to make than
     * a small batch costs to compress). One thread at a time: the node store's writer owns one; {@link #close} frees
     * the deflater.
     */
    static final class Encoder implements AutoCloseable {
        /** Buffers larger than this after a batch are dropped rather than kept (a burst does not pin memory). */
        private static final int KEEP = 1 << 20;
        private final Deflater deflater = new Deflater(Deflater.BEST_SPEED);
        private StringBuilder sb = new StringBuilder(16 * 1024);
        private byte[] out = new byte[16 * 1024];

        byte[] encode(List<InvocationRecord> records) {
            sb.setLength(0);
            for (InvocationRecord r : records) {
                line(sb, r);
            }
            byte[] raw = sb.toString().getBytes(StandardCharsets.UTF_8);
            deflater.reset();
            deflater.setInput(raw);
            deflater.finish();
            int n = 0;
            while (!deflater.finished()) {
                if (n == out.length) {
                    out = java.util.Arrays.copyOf(out, out.length * 2);
                }
                n += deflater.deflate(out, n, out.length - n);
            }
            byte[] result = java.util.Arrays.copyOf(out, n);
            if (sb.capacity() > KEEP) {
                sb = new StringBuilder(16 * 1024);
            }
            if (out.length > KEEP) {
                out = new byte[16 * 1024];
            }
            return result;
        }

        @Override
        public void close() {
            deflater.end();
        }
    }

    private static void line(StringBuilder sb, InvocationRecord r) {
        text(sb, r.id()).append('\t');
        text(sb, r.function()).append('\t');
        sb.append(r.version()).append('\t');
        sb.append(r.startedAt().toEpochMilli()).append('\t');
        sb.append(r.durationMs()).append('\t');
        sb.append(r.status()).append('\t');
        sb.append(r.cold() ? '1' : '0').append('\t');
        text(sb, r.instance()).append('\t');
        text(sb, r.error().length() <= 2000 ? r.error() : r.error().substring(0, 1999) + "…").append('\t');
        boolean first = true;
        for (Map.Entry<String, Double> e : r.phases().entrySet()) {
            if (!first) {
                sb.append(';');
            }
            first = false;
            text(sb, e.getKey()).append('=').append(e.getValue().doubleValue());
        }
        sb.append('\t');
        text(sb, r.traceId());
        sb.append('\n');
    }

    static List<InvocationRecord> decode(byte[] data) {
        Inflater inf = new Inflater();
        String text;
        try {
            inf.setInput(data);
            ByteArrayOutputStream out = new ByteArrayOutputStream(data.length * 4);
            byte[] buf = new byte[32 * 1024];
            while (!inf.finished()) {
                int n = inf.inflate(buf);
                if (n == 0 && (inf.needsInput() || inf.needsDictionary())) {
                    break;
                }
                out.write(buf, 0, n);
            }
            text = out.toString(StandardCharsets.UTF_8);
        } catch (DataFormatException e) {
            throw new IllegalStateException("corrupt invocation batch: " + e.getMessage(), e);
        } finally {
            inf.end();
        }
        List<InvocationRecord> out = new ArrayList<>();
        int start = 0;
        while (start < text.length()) {
            int end = text.indexOf('\n', start);
            if (end < 0) {
                end = text.length();
            }
            String[] f = text.substring(start, end).split("\t", -1);
            start = end + 1;
            if (f.length < FIELDS) {
                continue;
            }
            Map<String, Double> phases = new LinkedHashMap<>();
            if (!f[9].isEmpty()) {
                for (String part : f[9].split(";")) {
                    int eq = part.lastIndexOf('=');
                    phases.put(untext(part.substring(0, eq)), Double.parseDouble(part.substring(eq + 1)));
                }
            }
            out.add(new InvocationRecord(untext(f[0]), untext(f[1]), Integer.parseInt(f[2]),
                    Instant.ofEpochMilli(Long.parseLong(f[3])), Double.parseDouble(f[4]), Integer.parseInt(f[5]),
                    f[6].equals("1"), untext(f[7]), untext(f[8]), phases, f.length > FIELDS ? untext(f[FIELDS]) : ""));
        }
        return out;
    }

    private static StringBuilder text(StringBuilder sb, String s) {
        if (plain(s)) {
            return sb.append(s); // the common case (ids, names, trace ids): one copy, no per-character work
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '\t' -> sb.append("\\t");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case ';' -> sb.append("\\s");
                case '=' -> sb.append("\\e");
                default -> sb.append(c);
            }
        }
        return sb;
    }

    /** Whether {@code s} has no character that {@link #text} escapes (each search is a vectorized intrinsic). */
    private static boolean plain(String s) {
        return s.indexOf('\\') < 0 && s.indexOf('\t') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0
                && s.indexOf(';') < 0 && s.indexOf('=') < 0;
    }

    private static String untext(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                char n = s.charAt(++i);
                sb.append(switch (n) {
                    case 't' -> '\t';
                    case 'n' -> '\n';
                    case 'r' -> '\r';
                    case 's' -> ';';
                    case 'e' -> '=';
                    default -> n;
                });
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
