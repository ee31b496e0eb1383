package dev.nest.host;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Replaces {@code System.out}/{@code System.err}: bytes written by a thread that is running an invocation
 * (see {@link #CURRENT}) become framed log lines of that invocation; anything else passes through unchanged.
 */
final class LogRouter extends OutputStream {

    /** The invocation the current thread is running, set by the host around the handler call. */
    static final ThreadLocal<Invocation> CURRENT = new ThreadLocal<>();

    private static PrintStream rawOut;
    private static PrintStream rawErr;

    private final PrintStream raw;
    private final boolean stderr;

    private LogRouter(PrintStream raw, boolean stderr) {
        this.raw = raw;
        this.stderr = stderr;
    }

    /** Installs the routing streams once per JVM; later calls do nothing. */
    static synchronized void install() {
        if (rawOut != null) return;
        rawOut = System.out;
        rawErr = System.err;
        System.setOut(new PrintStream(new LogRouter(rawOut, false), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new LogRouter(rawErr, true), true, StandardCharsets.UTF_8));
    }

    /** The process's stdout as it was before {@link #install()}. */
    static synchronized PrintStream rawOut() {
        return rawOut != null ? rawOut : System.out;
    }

    /** The process's stderr as it was before {@link #install()}. */
    static synchronized PrintStream rawErr() {
        return rawErr != null ? rawErr : System.err;
    }

    @Override
    public void write(int b) {
        Invocation inv = CURRENT.get();
        if (inv == null) raw.write(b);
        else inv.append(stderr, new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) {
        Invocation inv = CURRENT.get();
        if (inv == null) raw.write(b, off, len);
        else inv.append(stderr, b, off, len);
    }

    @Override
    public void flush() {
        // an invocation's partial line is kept until its newline or the end of the invocation
        if (CURRENT.get() == null) raw.flush();
    }

    /**
     * Writes one framed line {@code \u001eNEST\t<prefix><level>\t<text>\n} as a single write, where
     * {@code prefix} is {@code <invocationId>\t<instanceId>\t} in UTF-8. A trailing {@code \r} is dropped.
     */
    static void frame(PrintStream sink, byte[] prefix, byte[] level, byte[] text, int off, int len) {
        if (len > 0 && text[off + len - 1] == '\r') len--;
        byte[] line = new byte[MARK.length + prefix.length + level.length + 1 + len + 1];
        int p = 0;
        System.arraycopy(MARK, 0, line, p, MARK.length);
        p += MARK.length;
        System.arraycopy(prefix, 0, line, p, prefix.length);
        p += prefix.length;
        System.arraycopy(level, 0, line, p, level.length);
        p += level.length;
        line[p++] = '\t';
        System.arraycopy(text, off, line, p, len);
        p += len;
        line[p] = '\n';
        sink.write(line, 0, line.length);
        sink.flush();
    }

    private static final byte[] MARK = {0x1e, 'N', 'E', 'S', 'T', '\t'};
}
