package dev.nest.host;

import dev.nest.fn.Context;
import dev.nest.fn.Logger;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** One running invocation: its {@link Context} and {@link Logger}, and its buffered stdout/stderr lines. */
final class Invocation implements Context, Logger {

    /** A line longer than this is framed in pieces. */
    private static final int MAX_LINE = 64 * 1024;

    static final byte[] DEBUG = {'d', 'e', 'b', 'u', 'g'};
    static final byte[] INFO = {'i', 'n', 'f', 'o'};
    static final byte[] WARN = {'w', 'a', 'r', 'n'};
    static final byte[] ERROR = {'e', 'r', 'r', 'o', 'r'};

    private final Instance instance;
    private final String id;
    private final long deadline;
    private final PrintStream out;
    private final PrintStream err;
    private byte[] prefix;

    // partial lines written through System.out / System.err by the invocation's thread
    private byte[] outBuf;
    private int outLen;
    private byte[] errBuf;
    private int errLen;

    Invocation(Instance instance, String id, long deadline, PrintStream out, PrintStream err) {
        this.instance = instance;
        this.id = id;
        this.deadline = deadline;
        this.out = out;
        this.err = err;
    }

    private String traceparent = "";

    /** Sets the request's {@code traceparent} when it is a valid version-00 value (the gateway always sends one). */
    void traceparent(String value) {
        if (value != null && value.matches("00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}")) {
            traceparent = value;
        }
    }

    @Override
    public String traceparent() {
        return traceparent;
    }

    // ------------------------------------------------------------------ Context

    @Override
    public String functionName() {
        return instance.function;
    }

    @Override
    public String functionVersion() {
        return instance.version;
    }

    @Override
    public String invocationId() {
        return id;
    }

    @Override
    public long remainingTimeMillis() {
        return Math.max(0L, deadline - System.currentTimeMillis());
    }

    @Override
    public int memoryLimitMb() {
        return instance.memoryMb;
    }

    @Override
    public Logger logger() {
        return this;
    }

    @Override
    public Map<String, String> env() {
        return instance.env;
    }

    @Override
    public String toString() {
        return "Context[" + instance.function + "@" + instance.version + ", invocation " + id + "]";
    }

    // ------------------------------------------------------------------ Logger

    @Override
    public void debug(String message) {
        log(out, DEBUG, message);
    }

    @Override
    public void info(String message) {
        log(out, INFO, message);
    }

    @Override
    public void warn(String message) {
        log(out, WARN, message);
    }

    @Override
    public void error(String message) {
        log(out, ERROR, message);
    }

    @Override
    public void error(String message, Throwable error) {
        if (error == null) {
            log(out, ERROR, message);
            return;
        }
        StringWriter w = new StringWriter();
        PrintWriter pw = new PrintWriter(w);
        if (message != null) pw.println(message);
        error.printStackTrace(pw);
        pw.flush();
        log(out, ERROR, w.toString());
    }

    /** Writes {@code text} as framed lines, one per line of text. */
    void log(PrintStream sink, byte[] level, String text) {
        byte[] b = String.valueOf(text).getBytes(StandardCharsets.UTF_8);
        int start = 0;
        for (int i = 0; i < b.length; i++) {
            if (b[i] == '\n') {
                LogRouter.frame(sink, prefix(), level, b, start, i - start);
                start = i + 1;
            }
        }
        if (start < b.length || b.length == 0) LogRouter.frame(sink, prefix(), level, b, start, b.length - start);
    }

    /** Writes a throwable's stack trace as framed {@code error} lines on stderr. */
    void logStackTrace(Throwable t) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w, true));
        String s = w.toString();
        if (s.endsWith("\n")) s = s.substring(0, s.length() - (s.endsWith("\r\n") ? 2 : 1));
        log(err, ERROR, s);
    }

    private byte[] prefix() {
        byte[] p = prefix;
        if (p == null) {
            p = (id + "\t" + instance.id + "\t").getBytes(StandardCharsets.UTF_8);
            prefix = p;
        }
        return p;
    }

    // ------------------------------------------------------------------ System.out / System.err capture

    /** Bytes written to System.out (or System.err) by this invocation's thread. */
    void append(boolean stderr, byte[] b, int off, int len) {
        PrintStream sink = stderr ? err : out;
        byte[] level = stderr ? ERROR : INFO;
        byte[] buf = stderr ? errBuf : outBuf;
        int n = stderr ? errLen : outLen;
        int end = off + len;
        int start = off;
        for (int i = off; i < end; i++) {
            if (b[i] != '\n') continue;
            if (n == 0) {
                LogRouter.frame(sink, prefix(), level, b, start, i - start);
            } else {
                buf = grow(buf, n, i - start);
                System.arraycopy(b, start, buf, n, i - start);
                n += i - start;
                LogRouter.frame(sink, prefix(), level, buf, 0, n);
                n = 0;
            }
            start = i + 1;
        }
        if (start < end) {
            int rest = end - start;
            buf = grow(buf, n, rest);
            System.arraycopy(b, start, buf, n, rest);
            n += rest;
            if (n >= MAX_LINE) {
                LogRouter.frame(sink, prefix(), level, buf, 0, n);
                n = 0;
            }
        }
        if (stderr) {
            errBuf = buf;
            errLen = n;
        } else {
            outBuf = buf;
            outLen = n;
        }
    }

    private static byte[] grow(byte[] buf, int used, int more) {
        int need = used + more;
        if (buf != null && buf.length >= need) return buf;
        int size = Math.max(need, buf == null ? 256 : buf.length * 2);
        byte[] nb = new byte[size];
        if (buf != null) System.arraycopy(buf, 0, nb, 0, used);
        return nb;
    }

    /** Frames any partial lines left at the end of the invocation. */
    void finish() {
        if (outLen > 0) {
            LogRouter.frame(out, prefix(), INFO, outBuf, 0, outLen);
            outLen = 0;
        }
        if (errLen > 0) {
            LogRouter.frame(err, prefix(), ERROR, errBuf, 0, errLen);
            errLen = 0;
        }
    }
}
