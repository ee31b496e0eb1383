package dev.nest.history;

import dev.nest.common.Json;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.function.Function;

/**
 * Follows the region's log lines as Server-Sent Events: every {@code poll}, the lines that are new on any node are
 * written as events ({@code id:} the follower's positions on every node after that line, {@code data:} one JSON line
 * of {@link HistoryJson#event}); a poll that moved a position without a line writes an event with only an
 * {@code id:} (it updates the client's {@code Last-Event-ID} and dispatches nothing). A quiet stream gets a comment
 * ({@code : keep-alive}) every {@code heartbeat}; nodes that did not answer a poll are named in a comment
 * ({@code : unreachable node-b}) when that changes.
 *
 * <p>Ends when writing fails (the client went), the thread is interrupted, or {@link #close} was called (the node
 * stops: its admin server waits for open streams, so they must end first). At most {@code maxFollowers} streams
 * run at once on a node ({@link #tryStart}), each on its own request thread, which it holds while it runs.
 */
public final class LogStream {
    /** Writes the stream's text; throws when the client is gone. */
    public interface Sink {
        void write(String text) throws IOException;

        void flush() throws IOException;
    }

    /** Waits between polls (tests do not wait). */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    private final Semaphore followers;
    private final int max;
    private final Duration poll;
    private final Duration heartbeat;
    private final Sleeper sleeper;
    private volatile boolean closed;

    public LogStream(int maxFollowers, Duration poll, Duration heartbeat, Sleeper sleeper) {
        this.followers = new Semaphore(maxFollowers);
        this.max = maxFollowers;
        this.poll = poll;
        this.heartbeat = heartbeat;
        this.sleeper = sleeper;
    }

    /** Takes a follower's place; false when {@link #max()} follow already. Pair with {@link #done()}. */
    public boolean tryStart() {
        return !closed && followers.tryAcquire();
    }

    public void done() {
        followers.release();
    }

    public int max() {
        return max;
    }

    /** Ends every running stream at its next poll and refuses new ones; the node calls it before its server stops. */
    public void close() {
        closed = true;
    }

    public boolean closed() {
        return closed;
    }

    /**
     * Runs one follower until the client goes: {@code poller} reads what is new after the positions it is given.
     * Returns normally when the client went or the thread was interrupted.
     */
    public void run(FollowPositions from, Function<FollowPositions, RegionHistory.Poll> poller, Sink sink) {
        FollowPositions at = from;
        List<String> unreachable = List.of();
        long quietNanos = 0;
        try {
            sink.write(": following\n\n");
            sink.flush();
            while (!closed && !Thread.currentThread().isInterrupted()) {
                RegionHistory.Poll p = poller.apply(at);
                FollowPositions running = p.start();
                for (NodeLine line : p.lines()) {
                    running = running.with(line.node(), line.seq());
                    sink.write(event(running, line));
                }
                boolean wrote = !p.lines().isEmpty();
                if (!p.end().equals(running) || !p.end().equals(at) && !wrote) {
                    sink.write("id: " + p.end().id() + "\n\n");
                    wrote = true;
                }
                at = p.end();
                if (!p.unreachable().equals(unreachable)) {
                    unreachable = p.unreachable();
                    sink.write(": unreachable " + (unreachable.isEmpty() ? "none" : String.join(" ", unreachable)) + "\n\n");
                    wrote = true;
                }
                quietNanos = wrote ? 0 : quietNanos + poll.toNanos();
                if (quietNanos >= heartbeat.toNanos()) {
                    sink.write(": keep-alive\n\n");
                    wrote = true;
                    quietNanos = 0;
                }
                if (wrote) {
                    sink.flush();
                }
                if (p.lines().size() < RegionHistory.FOLLOW_BATCH) {
                    sleeper.sleep(poll);
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            // the client went: the stream ends
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One event: its id, then the line's JSON as one {@code data:} line (JSON escapes every newline). */
    static String event(FollowPositions id, NodeLine line) {
        return "id: " + id.id() + "\ndata: " + Json.string(HistoryJson.event(line)) + "\n\n";
    }
}
