package dev.nest.driver.docker;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Frame;
import dev.nest.spi.PodLines;
import dev.nest.spi.PodListener;
import dev.nest.spi.PodStop;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Turns a container's multiplexed output stream (docker-java frames, split anywhere) into lines for a
 * {@link PodListener}, stdout and stderr separately. Runs on the stream's docker-java thread; a line longer
 * than {@link PodLines#MAX_LINE} bytes is passed on in pieces; a last line without a newline is passed on when the
 * stream ends.
 */
final class LogPump implements ResultCallback<Frame> {
    private static final Logger LOG = Logger.getLogger(LogPump.class.getName());

    private final String podId;
    private final PodLines out;
    private final PodLines err;
    private volatile Closeable stream;
    private volatile boolean closed;

    LogPump(String podId, PodListener listener) {
        this.podId = podId;
        this.out = new PodLines(podId, false, listener);
        this.err = new PodLines(podId, true, listener);
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
        out.end();
        err.end();
    }

    /** Waits at most {@code millis} for the stream to end (all output of a stopped container passed on). */
    boolean awaitEnd(long millis) {
        return PodStop.await(CompletableFuture.allOf(out.ended(), err.ended()), Duration.ofMillis(millis));
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
}
