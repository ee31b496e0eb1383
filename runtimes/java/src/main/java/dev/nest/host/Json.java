package dev.nest.host;

import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Calendar;
import java.util.Date;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * A small JSON reader and writer (JDK only).
 *
 * <p>Reading yields {@code LinkedHashMap}, {@code ArrayList}, {@code String}, {@code Long} (or
 * {@code BigInteger}), {@code Double}, {@code Boolean} and {@code null}. Writing handles those plus
 * records, arrays, {@code Optional}, enums, {@code java.time} values (ISO strings), other JDK values (their
 * {@code toString()}), and the public fields and getters of other objects. A cycle is an error.
 */
final class Json {

    /** A document that cannot be parsed, or a value that cannot be encoded. */
    static final class JsonException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        JsonException(String message) {
            super(message);
        }

        JsonException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static final int MAX_DEPTH = 512;

    private Json() {}

    // ------------------------------------------------------------------ reading

    static Object parse(byte[] utf8) {
        return parse(new String(utf8, StandardCharsets.UTF_8));
    }

    static Object parse(String text) {
        Reader r = new Reader(text);
        r.skipWs();
        Object v;
        try {
            v = r.value(0);
        } catch (StackOverflowError e) {
            throw r.error("nested too deeply");
        }
        r.skipWs();
        if (r.pos != text.length()) throw r.error("unexpected data after the JSON value");
        return v;
    }

    private static final class Reader {
        private final String s;
        private int pos;

        Reader(String s) {
            this.s = s;
        }

        JsonException error(String what) {
            return new JsonException("invalid JSON at offset " + pos + ": " + what);
        }

        void skipWs() {
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c == ' ' || c == '\n' || c == '\r' || c == '\t') pos++;
                else break;
            }
        }

        Object value(int depth) {
            if (depth > MAX_DEPTH) throw error("nested too deeply");
            if (pos >= s.length()) throw error("unexpected end of input");
            char c = s.charAt(pos);
            switch (c) {
                case '{': return object(depth);
                case '[': return array(depth);
                case '"': return string();
                case 't': literal("true"); return Boolean.TRUE;
                case 'f': literal("false"); return Boolean.FALSE;
                case 'n': literal("null"); return null;
                default:
                    if (c == '-' || (c >= '0' && c <= '9')) return number();
                    throw error("unexpected character '" + c + "'");
            }
        }

        private void literal(String word) {
            if (!s.startsWith(word, pos)) throw error("expected " + word);
            pos += word.length();
        }

        private Map<String, Object> object(int depth) {
            pos++; // {
            Map<String, Object> m = new LinkedHashMap<>();
            skipWs();
            if (pos < s.length() && s.charAt(pos) == '}') {
                pos++;
                return m;
            }
            while (true) {
                skipWs();
                if (pos >= s.length() || s.charAt(pos) != '"') throw error("expected a string key");
                String key = string();
                skipWs();
                if (pos >= s.length() || s.charAt(pos) != ':') throw error("expected ':'");
                pos++;
                skipWs();
                m.put(key, value(depth + 1));
                skipWs();
                if (pos >= s.length()) throw error("unterminated object");
                char c = s.charAt(pos++);
                if (c == '}') return m;
                if (c != ',') {
                    pos--;
                    throw error("expected ',' or '}'");
                }
            }
        }

        private List<Object> array(int depth) {
            pos++; // [
            List<Object> l = new ArrayList<>();
            skipWs();
            if (pos < s.length() && s.charAt(pos) == ']') {
                pos++;
                return l;
            }
            while (true) {
                skipWs();
                l.add(value(depth + 1));
                skipWs();
                if (pos >= s.length()) throw error("unterminated array");
                char c = s.charAt(pos++);
                if (c == ']') return l;
                if (c != ',') {
                    pos--;
                    throw error("expected ',' or ']'");
                }
            }
        }

        private String string() {
            int start = ++pos; // opening quote
            // fast path: no escapes
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c == '"') return s.substring(start, pos++);
                if (c == '\\') break;
                if (c < 0x20) throw error("control character in string");
                pos++;
            }
            StringBuilder b = new StringBuilder(s.length() - start + 16);
            b.append(s, start, pos);
            while (pos < s.length()) {
                char c = s.charAt(pos++);
                if (c == '"') return b.toString();
                if (c < 0x20) {
                    pos--;
                    throw error("control character in string");
                }
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                if (pos >= s.length()) break;
                char e = s.charAt(pos++);
                switch (e) {
                    case '"': b.append('"'); break;
                    case '\\': b.append('\\'); break;
                    case '/': b.append('/'); break;
                    case 'b': b.append('\b'); break;
                    case 'f': b.append('\f'); break;
                    case 'n': b.append('\n'); break;
                    case 'r': b.append('\r'); break;
                    case 't': b.append('\t'); break;
                    case 'u':
                        if (pos + 4 > s.length()) throw error("truncated \\u escape");
                        int cp = 0;
                        for (int k = 0; k < 4; k++) {
                            int d = Character.digit(s.charAt(pos++), 16);
                            if (d < 0) throw error("invalid \\u escape");
                            cp = (cp << 4) | d;
                        }
                        b.append((char) cp);
                        break;
                    default:
                        pos--;
                        throw error("invalid escape '\\" + e + "'");
                }
            }
            throw error("unterminated string");
        }

        private Object number() {
            int start = pos;
            boolean integral = true;
            if (s.charAt(pos) == '-') pos++;
            if (pos >= s.length()) throw error("invalid number");
            if (s.charAt(pos) == '0') {
                pos++;
            } else if (digits() == 0) {
                throw error("invalid number");
            }
            if (pos < s.length() && s.charAt(pos) == '.') {
                integral = false;
                pos++;
                if (digits() == 0) throw error("invalid number");
            }
            if (pos < s.length() && (s.charAt(pos) == 'e' || s.charAt(pos) == 'E')) {
                integral = false;
                pos++;
                if (pos < s.length() && (s.charAt(pos) == '+' || s.charAt(pos) == '-')) pos++;
                if (digits() == 0) throw error("invalid number");
            }
            String n = s.substring(start, pos);
            if (!integral) return Double.parseDouble(n);
            if (n.length() <= 18) return Long.parseLong(n);
            BigInteger big = new BigInteger(n);
            return big.bitLength() < 64 ? (Object) big.longValue() : big;
        }

        private int digits() {
            int start = pos;
            while (pos < s.length() && s.charAt(pos) >= '0' && s.charAt(pos) <= '9') pos++;
            return pos - start;
        }
    }

    // ------------------------------------------------------------------ writing

    static byte[] writeBytes(Object value) {
        return write(value).getBytes(StandardCharsets.UTF_8);
    }

    static String write(Object value) {
        StringBuilder b = new StringBuilder(64);
        try {
            new Writer(b).value(value, 0);
        } catch (StackOverflowError e) {
            throw new JsonException("value is nested too deeply to encode");
        }
        return b.toString();
    }

    static void quote(StringBuilder b, String s) {
        b.append('"');
        int n = s.length();
        int run = 0;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            String esc = null;
            if (c < 0x20 || c == '"' || c == '\\') {
                esc = escape(c);
            } else if (Character.isSurrogate(c)) {
                boolean paired = Character.isHighSurrogate(c)
                        ? i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))
                        : i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
                if (!paired) esc = unicodeEscape(c); // a lone surrogate is not valid UTF-8
            } else if (c == '\u2028' || c == '\u2029') {
                esc = unicodeEscape(c);
            }
            if (esc != null) {
                b.append(s, run, i).append(esc);
                run = i + 1;
            }
        }
        b.append(s, run, n).append('"');
    }

    private static String escape(char c) {
        switch (c) {
            case '"': return "\\\"";
            case '\\': return "\\\\";
            case '\b': return "\\b";
            case '\f': return "\\f";
            case '\n': return "\\n";
            case '\r': return "\\r";
            case '\t': return "\\t";
            default: return unicodeEscape(c);
        }
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private static String unicodeEscape(char c) {
        return new String(new char[] {'\\', 'u', HEX[(c >> 12) & 15], HEX[(c >> 8) & 15], HEX[(c >> 4) & 15], HEX[c & 15]});
    }

    /** Property accessors of a record or plain class, computed once per class. */
    private static final ClassValue<Property[]> PROPERTIES = new ClassValue<>() {
        @Override
        protected Property[] computeValue(Class<?> type) {
            return properties(type);
        }
    };

    private record Property(String name, Field field, Method getter) {
        Object get(Object target) throws ReflectiveOperationException {
            return getter != null ? getter.invoke(target) : field.get(target);
        }
    }

    private static Property[] properties(Class<?> type) {
        if (type.isRecord()) {
            RecordComponent[] rc = type.getRecordComponents();
            Property[] ps = new Property[rc.length];
            for (int i = 0; i < rc.length; i++) {
                Method m = rc[i].getAccessor();
                m.trySetAccessible();
                ps[i] = new Property(rc[i].getName(), null, m);
            }
            return ps;
        }
        Map<String, Property> byName = new TreeMap<>();
        for (Field f : type.getFields()) {
            if (Modifier.isStatic(f.getModifiers())) continue;
            f.trySetAccessible();
            byName.put(f.getName(), new Property(f.getName(), f, null));
        }
        for (Method m : type.getMethods()) {
            if (Modifier.isStatic(m.getModifiers()) || m.getParameterCount() != 0
                    || m.getDeclaringClass() == Object.class || m.getReturnType() == void.class) continue;
            String n = m.getName();
            String prop;
            if (n.startsWith("get") && n.length() > 3) {
                prop = decapitalize(n.substring(3));
            } else if (n.startsWith("is") && n.length() > 2
                    && (m.getReturnType() == boolean.class || m.getReturnType() == Boolean.class)) {
                prop = decapitalize(n.substring(2));
            } else {
                continue;
            }
            m.trySetAccessible();
            byName.put(prop, new Property(prop, null, m));
        }
        return byName.values().toArray(new Property[0]);
    }

    private static String decapitalize(String s) {
        if (s.length() > 1 && Character.isUpperCase(s.charAt(0)) && Character.isUpperCase(s.charAt(1))) return s;
        return Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }

    private static final class Writer {
        private final StringBuilder b;
        private final IdentityHashMap<Object, Boolean> path = new IdentityHashMap<>();

        Writer(StringBuilder b) {
            this.b = b;
        }

        void value(Object v, int depth) {
            if (v == null) {
                b.append("null");
            } else if (v instanceof String s) {
                quote(b, s);
            } else if (v instanceof Boolean bool) {
                b.append(bool.booleanValue());
            } else if (v instanceof Number n) {
                number(n);
            } else if (v instanceof Map<?, ?> m) {
                enter(v, depth);
                b.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!first) b.append(',');
                    first = false;
                    quote(b, String.valueOf(e.getKey()));
                    b.append(':');
                    value(e.getValue(), depth + 1);
                }
                b.append('}');
                path.remove(v);
            } else if (v instanceof Iterable<?> it) {
                enter(v, depth);
                b.append('[');
                boolean first = true;
                for (Object o : it) {
                    if (!first) b.append(',');
                    first = false;
                    value(o, depth + 1);
                }
                b.append(']');
                path.remove(v);
            } else if (v instanceof CharSequence || v instanceof Character) {
                quote(b, v.toString());
            } else if (v instanceof Enum<?> e) {
                quote(b, e.name());
            } else if (v instanceof Optional<?> o) {
                value(o.orElse(null), depth);
            } else if (v instanceof OptionalInt o) {
                if (o.isPresent()) b.append(o.getAsInt()); else b.append("null");
            } else if (v instanceof OptionalLong o) {
                if (o.isPresent()) b.append(o.getAsLong()); else b.append("null");
            } else if (v instanceof OptionalDouble o) {
                if (o.isPresent()) number(o.getAsDouble()); else b.append("null");
            } else if (v instanceof byte[] bytes) {
                quote(b, Base64.getEncoder().encodeToString(bytes));
            } else if (v instanceof char[] chars) {
                quote(b, new String(chars));
            } else if (v.getClass().isArray()) {
                enter(v, depth);
                b.append('[');
                int n = Array.getLength(v);
                for (int i = 0; i < n; i++) {
                    if (i > 0) b.append(',');
                    value(Array.get(v, i), depth + 1);
                }
                b.append(']');
                path.remove(v);
            } else if (v instanceof Date d) {
                quote(b, Instant.ofEpochMilli(d.getTime()).toString());
            } else if (v instanceof Calendar c) {
                quote(b, c.toInstant().toString());
            } else if (v instanceof Throwable t) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("type", t.getClass().getName());
                m.put("message", t.getMessage());
                value(m, depth);
            } else if (v instanceof Class<?> c) {
                quote(b, c.getName());
            } else if (v.getClass().isRecord()) {
                object(v, depth);
            } else if (isJdkClass(v.getClass())) {
                // java.time values, UUID, URI, Path, ...: their toString() is the usual text form
                quote(b, v.toString());
            } else {
                object(v, depth);
            }
        }

        private void object(Object v, int depth) {
            enter(v, depth);
            Property[] ps = PROPERTIES.get(v.getClass());
            b.append('{');
            for (int i = 0; i < ps.length; i++) {
                if (i > 0) b.append(',');
                quote(b, ps[i].name());
                b.append(':');
                Object pv;
                try {
                    pv = ps[i].get(v);
                } catch (InvocationTargetException e) {
                    Throwable c = e.getCause();
                    throw new JsonException("cannot encode " + v.getClass().getName() + "." + ps[i].name()
                            + ": its accessor threw " + c, c);
                } catch (ReflectiveOperationException | RuntimeException e) {
                    throw new JsonException("cannot encode " + v.getClass().getName() + "." + ps[i].name()
                            + ": " + e, e);
                }
                value(pv, depth + 1);
            }
            b.append('}');
            path.remove(v);
        }

        private void enter(Object v, int depth) {
            if (depth > MAX_DEPTH) throw new JsonException("value is nested more than " + MAX_DEPTH + " levels deep");
            if (path.put(v, Boolean.TRUE) != null) {
                throw new JsonException("value contains a cycle (through a " + v.getClass().getName() + ")");
            }
        }

        private void number(Number n) {
            if (n instanceof Double || n instanceof Float) {
                double d = n.doubleValue();
                if (Double.isNaN(d) || Double.isInfinite(d)) b.append("null");
                else if (n instanceof Float f) b.append(f.floatValue());
                else b.append(d);
            } else if (n instanceof BigDecimal bd) {
                b.append(bd.toString());
            } else if (n instanceof Integer || n instanceof Long || n instanceof Short || n instanceof Byte
                    || n instanceof BigInteger) {
                b.append(n.toString());
            } else {
                // AtomicInteger, LongAdder, user Numbers: check the text is a JSON number
                String s = n.toString();
                if (isJsonNumber(s)) b.append(s);
                else number(n.doubleValue());
            }
        }

        private void number(double d) {
            if (Double.isNaN(d) || Double.isInfinite(d)) b.append("null");
            else b.append(d);
        }
    }

    private static boolean isJdkClass(Class<?> c) {
        String n = c.getName();
        return n.startsWith("java.") || n.startsWith("javax.") || n.startsWith("jdk.") || n.startsWith("sun.");
    }

    private static boolean isJsonNumber(String s) {
        try {
            Reader r = new Reader(s);
            return !s.isEmpty() && r.value(0) instanceof Number && r.pos == s.length();
        } catch (RuntimeException e) {
            return false;
        }
    }
}
