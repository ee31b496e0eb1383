package dev.nest.driver.docker;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Frame;
import dev.nest.spi.PodListener;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Turns a container's multiplexed output stream (docker-java frames, split anywhere) into lines for a
 * {@link PodListener}, stdout and stderr separately. Runs on the stream's docker-java thread; a line longer
 * than {@link #MAX_LINE} bytes is passed on in pieces; a last line without a newline is passed on when the
 * stream ends.
 */
final class LogPump implements ResultCallback<Frame> {
    private static final Logger LOG = Logger.getLogger(LogPump.class.getName());
    static final int MAX_LINE = 64 * 1024;

    private final String podId;
    private final PodListener listener;
    private final Lines out;
    private final Lines err;
    private final CountDownLatch ended = new CountDownLatch(1);
    private volatile Closeable stream;
    private volatile boolean closed;

    LogPump(String podId, PodListener listener) {
        this.podId = podId;
        this.listener = listener;
        this.out = new Lines(false);
        this.err = new Lines(true);
    }

    @Override
    public void onStart(Closeable stream) {
        this.stream = stream;
        if (closed) {
            closeQuietly(stream);
        }
    }

    @Override
    public void onNext(Frame frame) {
        switch (frame.getStreamType()) {
            case STDOUT, RAW -> out.append(frame.getPayload());
            case STDERR -> err.append(frame.getPayload());
            default -> {
                // STDIN: never attached
            }
        }
    }

    @Override
    public void onError(Throwable error) {
        if (!closed) {
            LOG.log(Level.FINE, "output stream of pod " + podId + " ended: " + error);
        }
        end();
    }

    @Override
    public void onComplete() {
        end();
    }

    private void end() {
        out.flush();
        err.flush();
        ended.countDown();
    }

    /** Waits at most {@code millis} for the stream to end (all output of a stopped container passed on). */
    boolean awaitEnd(long millis) {
        try {
            return ended.await(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void close() {
        closed = true;
        Closeable s = stream;
        if (s != null) {
            closeQuietly(s);
        }
    }

    static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException | RuntimeException ignored) {
            // the stream is going away anyway
        }
    }

    /** The bytes of one stream, cut at newlines and decoded as UTF-8 only then (a frame may split a character). */
    private final class Lines {
        private final boolean stderr;
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream(256);

        Lines(boolean stderr) {
            this.stderr = stderr;
        }

        void append(byte[] bytes) {
            int from = 0;
            for (int i = 0; i < bytes.length; i++) {
                if (bytes[i] == '\n') {
                    buf.write(bytes, from, i - from);
                    emit();
                    from = i + 1;
                } else if (buf.size() + (i - from) >= MAX_LINE) {
                    buf.write(bytes, from, i - from);
                    emit();
                    from = i;
                }
            }
            buf.write(bytes, from, bytes.length - from);
        }

        void flush() {
            if (buf.size() > 0) {
                emit();
            }
        }

        private void emit() {
            byte[] b = buf.toByteArray();
            buf.reset();
            int n = b.length > 0 && b[b.length - 1] == '\r' ? b.length - 1 : b.length;
            try {
                listener.line(podId, stderr, new String(b, 0, n, StandardCharsets.UTF_8));
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "the listener of pod " + podId + " failed on a line", e);
            }
        }
    }
}
