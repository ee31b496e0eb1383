package dev.nest.driver.containerd;

import dev.nest.spi.CodeViews;
import dev.nest.spi.PodLines;
import dev.nest.spi.PodListener;
import dev.nest.spi.PodStop;
import dev.nest.spi.SandboxException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A pod's stdout and stderr: two FIFOs in a directory of the driver's own, which the task's shim writes
 * and this class reads, one platform thread per stream, passing lines to the {@link PodListener}.
 *
 * <p>Lifecycle: {@link #create} makes the FIFOs; {@link #open} opens each for reading and also holds a write
 * end of its own, so that the readers see no end of file before the shim has opened its side;
 * {@link #release} drops those write ends once the task has exited (or could not be made), after which each
 * reader sees end of file as soon as the shim has passed on the last bytes; {@link #close} stops the readers
 * at once and deletes the directory. A line longer than {@link PodLines#MAX_LINE} bytes is passed on in pieces; a
 * last line without a newline is passed on at the end.
 */
final class PodOutput implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PodOutput.class.getName());

    private final String podId;
    private final Path dir;
    private final List<FileChannel> holders = new ArrayList<>();
    private final List<FileChannel> readers = new ArrayList<>();
    private final PodLines out;
    private final PodLines err;

    private PodOutput(String podId, Path dir, PodListener listener) {
        this.podId = podId;
        this.dir = dir;
        this.out = new PodLines(podId, false, listener);
        this.err = new PodLines(podId, true, listener);
    }

    /** Makes {@code dir} (emptied first) with the FIFOs {@code stdout} and {@code stderr}. */
    static PodOutput create(String podId, Path dir, PodListener listener) {
        try {
            CodeViews.deleteTree(dir);
            Files.createDirectories(dir);
            Process p = new ProcessBuilder("mkfifo", "-m", "600", dir.resolve("stdout").toString(),
                    dir.resolve("stderr").toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new SandboxException("cannot make the output FIFOs of pod " + podId + " in " + dir + ": mkfifo: " + out);
            }
        } catch (IOException e) {
            throw new SandboxException("cannot make the output FIFOs of pod " + podId + " in " + dir + " (" + e.getMessage()
                    + "); check that the node's data directory is writable and mkfifo (coreutils) is installed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException("interrupted while making the output FIFOs of pod " + podId, e);
        }
        return new PodOutput(podId, dir, listener);
    }

    Path stdout() {
        return dir.resolve("stdout");
    }

    Path stderr() {
        return dir.resolve("stderr");
    }

    /** Opens both FIFOs and starts the reader threads. */
    synchronized void open() {
        try {
            for (Path fifo : List.of(stdout(), stderr())) {
                // read+write never blocks on a FIFO; the read-only open then finds a writer (this one) at once
                holders.add(FileChannel.open(fifo, StandardOpenOption.READ, StandardOpenOption.WRITE));
                readers.add(FileChannel.open(fifo, StandardOpenOption.READ));
            }
        } catch (IOException e) {
            close();
            throw new SandboxException("cannot open the output FIFOs of pod " + podId + " in " + dir + ": " + e.getMessage(), e);
        }
        for (int i = 0; i < 2; i++) {
            FileChannel in = readers.get(i);
            boolean stderr = i == 1;
            PodLines lines = stderr ? err : out;
            Thread.ofPlatform().daemon().stackSize(256 * 1024).name("containerd-output-" + podId + (stderr ? "-err" : "-out"))
                    .start(() -> pump(in, lines));
        }
    }

    /** Drops this side's write ends: each reader ends once the shim has closed its side. */
    synchronized void release() {
        for (FileChannel h : holders) {
            closeQuietly(h);
        }
        holders.clear();
    }

    /** Waits at most {@code millis} for both streams to end. */
    boolean awaitEnd(long millis) {
        return PodStop.await(CompletableFuture.allOf(out.ended(), err.ended()), Duration.ofMillis(millis));
    }

    @Override
    public synchronized void close() {
        release();
        for (FileChannel r : readers) {
            closeQuietly(r);
        }
        try {
            CodeViews.deleteTree(dir);
        } catch (IOException e) {
            LOG.log(Level.FINE, "cannot delete " + dir, e);
        }
    }

    private void pump(FileChannel in, PodLines lines) {
        ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
        try {
            while (in.read(buf) >= 0) {
                buf.flip();
                lines.append(buf);
                buf.clear();
            }
        } catch (ClosedChannelException closed) {
            // close(): the pod is gone
        } catch (IOException e) {
            LOG.log(Level.FINE, "output of pod " + podId + " ended: " + e);
        } finally {
            closeQuietly(in);
            lines.end();
        }
    }

    private static void closeQuietly(FileChannel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // going away anyway
        }
    }
}
