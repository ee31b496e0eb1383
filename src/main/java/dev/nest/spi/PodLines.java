package dev.nest.spi;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Cuts the bytes of one of a pod's output streams (stdout or stderr) into lines for a {@link PodListener}. The bytes
 * may come split anywhere (a frame, a read); they are decoded as UTF-8 only once a line is whole. A line ends at
 * {@code \n} (a {@code \r} before it is dropped); a line longer than {@link #MAX_LINE} bytes is passed on in pieces
 * of that size; {@link #flush} passes on a last line without a newline,
 * and {@link #end} marks the end of the stream.
 *
 * <p>Failure: a listener that throws is logged and the next line is passed on as usual. Threading: not
 * thread-safe; one thread (the stream's reader) calls it.
 */
public final class PodLines {
    private static final Logger LOG = Logger.getLogger(PodLines.class.getName());
    /** The longest line passed on whole, in bytes. */
    public static final int MAX_LINE = 64 * 1024;

    private final String podId;
    private final boolean stderr;
    private final PodListener listener;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
    private final CompletableFuture<Void> ended = new CompletableFuture<>();

    public PodLines(String podId, boolean stderr, PodListener listener) {
        this.podId = podId;
        this.stderr = stderr;
        this.listener = listener;
    }

    /** Takes {@code bytes} (a whole frame). */
    public void append(byte[] bytes) {
        append(bytes, 0, bytes.length);
    }

    /** Takes the remaining bytes of {@code buffer} (it is read to its limit). */
    public void append(ByteBuffer buffer) {
        if (buffer.hasArray()) {
            int start = buffer.arrayOffset() + buffer.position();
            append(buffer.array(), start, start + buffer.remaining());
            buffer.position(buffer.limit());
        } else {
            byte[] copy = new byte[buffer.remaining()];
            buffer.get(copy);
            append(copy);
        }
    }

    private void append(byte[] bytes, int start, int end) {
        int from = start;
        for (int i = start; i < end; i++) {
            if (bytes[i] == '\n') {
                line.write(bytes, from, i - from);
                emit();
                from = i + 1;
            } else if (line.size() + (i - from) >= MAX_LINE) {
                line.write(bytes, from, i - from);
                emit();
                from = i;
            }
        }
        line.write(bytes, from, end - from);
    }

    /** Passes on what is left of a last line without a newline (at the end of the stream). */
    public void flush() {
        if (line.size() > 0) {
            emit();
        }
    }

    /** Marks the end of the stream: {@link #flush}es, then completes {@link #ended()}. */
    public void end() {
        flush();
        ended.complete(null);
    }

    /** Completes once {@link #end} was called: all the stream's output has been passed on. */
    public CompletableFuture<Void> ended() {
        return ended;
    }

    private void emit() {
        byte[] b = line.toByteArray();
        line.reset();
        int n = b.length > 0 && b[b.length - 1] == '\r' ? b.length - 1 : b.length;
        try {
            listener.line(podId, stderr, new String(b, 0, n, StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "the listener of pod " + podId + " failed on a line", e);
        }
    }
}
