package dev.nest.alert;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Sends alert messages to their webhooks on one thread, {@code nest-alert-webhooks}, in order: each POST gets
 * {@link #ATTEMPTS} tries with a doubling pause (1 s, 2 s, 4 s, 8 s) between them; a webhook that answers 2xx has
 * it. The URL is checked against the allow-list again before each send (the list may have changed since the rule
 * was written). Bounded: at most {@link #QUEUE} messages wait; more are dropped and counted ({@link #dropped}), as
 * are messages that failed every try ({@link #failed}), each logged.
 *
 * <p>Lifecycle: {@link #start}, {@link #close} (messages still waiting are dropped). {@link #send} never blocks.
 */
public final class Webhooks implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Webhooks.class.getName());
    public static final int ATTEMPTS = 5;
    static final int QUEUE = 1_000;
    private static final Duration FIRST_PAUSE = Duration.ofSeconds(1);

    /** POSTs a body; throws when the webhook did not take it. The seam tests replace. */
    @FunctionalInterface
    public interface Transport {
        void post(URI url, byte[] json) throws IOException;
    }

    /** Waits between tries; the seam tests replace. */
    @FunctionalInterface
    public interface Pause {
        void sleep(Duration d) throws InterruptedException;
    }

    private final Transport transport;
    private final Pause pause;
    private final Function<String, Optional<String>> refusal;
    private final BlockingQueue<Notification> queue = new ArrayBlockingQueue<>(QUEUE);
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    private volatile boolean closed;
    private Thread thread;

    /** @param refusal why a URL may not be called now (not on the allow-list), empty when it may */
    public Webhooks(Transport transport, Pause pause, Function<String, Optional<String>> refusal) {
        this.transport = transport;
        this.pause = pause;
        this.refusal = refusal;
    }

    /** HTTP/1.1 POSTs of JSON, 2 s to connect, 5 s for the answer; any 2xx is taken. */
    public static Transport http() {
        // built on the first webhook: most nodes never send one
        dev.nest.common.Lazy<HttpClient> client = dev.nest.common.Lazy.of(() -> HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2))
                .followRedirects(HttpClient.Redirect.NEVER).build());
        return (url, json) -> {
            HttpRequest req = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(5))
                    .header("content-type", "application/json").header("user-agent", "nest-alerts")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(json)).build();
            try {
                HttpResponse<Void> r = client.get().send(req, HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() / 100 != 2) {
                    throw new IOException("webhook answered " + r.statusCode());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        };
    }

    public synchronized void start() {
        if (thread == null) {
            thread = Thread.ofPlatform().name("nest-alert-webhooks").daemon().start(this::run);
        }
    }

    /** Queues a message; never blocks. */
    public void send(Notification n) {
        if (closed || !queue.offer(n)) {
            dropped.incrementAndGet();
            LOG.warning("alert message dropped (" + (closed ? "closing" : QUEUE + " waiting") + "): " + n.text());
        }
    }

    public long dropped() {
        return dropped.get();
    }

    public long failed() {
        return failed.get();
    }

    public long delivered() {
        return delivered.get();
    }

    private void run() {
        while (!closed) {
            try {
                Notification n = queue.poll(500, TimeUnit.MILLISECONDS);
                if (n != null) {
                    deliver(n);
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Delivers one message with its retries; returns whether the webhook took it. Called by the thread (and tests). */
    boolean deliver(Notification n) throws InterruptedException {
        Optional<String> refused = refusal.apply(n.rule().webhook());
        if (refused.isPresent()) {
            failed.incrementAndGet();
            LOG.warning("alert " + n.rule().name() + ": not sent, " + refused.get());
            return false;
        }
        URI url = URI.create(n.rule().webhook());
        Duration wait = FIRST_PAUSE;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            try {
                transport.post(url, n.body());
                delivered.incrementAndGet();
                return true;
            } catch (IOException | RuntimeException e) {
                LOG.log(attempt == ATTEMPTS ? Level.WARNING : Level.FINE, "alert " + n.rule().name() + ": webhook "
                        + url.getHost() + " try " + attempt + " of " + ATTEMPTS + " failed: " + e.getMessage());
            }
            if (attempt < ATTEMPTS) {
                pause.sleep(wait);
                wait = wait.multipliedBy(2);
            }
        }
        failed.incrementAndGet();
        return false;
    }

    @Override
    public void close() {
        closed = true;
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t != null) {
            t.interrupt();
        }
    }
}
