package dev.nest.cluster;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.zookeeper.CreateMode;

/**
 * One ephemeral document this node keeps current in ZooKeeper from a sampled value: the value is sampled every
 * {@code sampleEvery} and written only when it changed, at most once per {@code interval} (a {@link Coalescer}), so a
 * burst of changes is one write of the latest value. Being ephemeral, the document disappears with the node's
 * session; Curator's {@link PersistentNode} writes it again under a new session after an expiry.
 *
 * <p>Failure: a failed write is logged (FINE) and retried with the next sample, even if that one is unchanged. A
 * sample or an encoding that throws skips that sample.
 *
 * <p>Threads: {@link #start} samples once on the calling thread; then sampling, encoding and writing run on one
 * daemon thread named {@code thread}. {@code written} runs on that thread before each write.
 *
 * @param <T> the sampled value; compared with {@code equals}
 */
final class SampledPublisher<T> implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SampledPublisher.class.getName());

    private final CuratorFramework client;
    private final String path;
    private final String thread;
    private final Duration sampleEvery;
    private final Coalescer<T> coalescer;
    private final Supplier<T> sample;
    private final Function<T, byte[]> encode;
    private final Consumer<T> written;
    private final LongSupplier nanoTime;
    private ScheduledExecutorService publisher;
    private PersistentNode published;

    /**
     * @param path    the document's path
     * @param thread  the name of the publishing thread, also used in log messages
     * @param written told of each value about to be written (the first one included)
     */
    SampledPublisher(CuratorFramework client, String path, String thread, Duration sampleEvery, Duration interval,
                     Supplier<T> sample, Function<T, byte[]> encode, Consumer<T> written, LongSupplier nanoTime) {
        this.client = client;
        this.path = path;
        this.thread = thread;
        this.sampleEvery = sampleEvery;
        this.coalescer = new Coalescer<>(interval);
        this.sample = sample;
        this.encode = encode;
        this.written = written;
        this.nanoTime = nanoTime;
    }

    /**
     * Writes the first sample and starts sampling.
     *
     * @throws IllegalStateException when it was started before
     */
    synchronized void start() {
        if (publisher != null) {
            throw new IllegalStateException("already publishing " + path);
        }
        T first = sample.get();
        coalescer.due(first, nanoTime.getAsLong());
        written.accept(first);
        published = new PersistentNode(client, CreateMode.EPHEMERAL, false, path, encode.apply(first));
        published.start();
        publisher = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name(thread).unstarted(r));
        long every = sampleEvery.toMillis();
        publisher.scheduleWithFixedDelay(this::sampleOnce, every, every, TimeUnit.MILLISECONDS);
    }

    private void sampleOnce() {
        try {
            T now = sample.get();
            if (coalescer.due(now, nanoTime.getAsLong())) {
                written.accept(now);
                try {
                    published.setData(encode.apply(now));
                } catch (Exception e) {
                    coalescer.failed();
                    throw e;
                }
            }
        } catch (Exception e) {
            LOG.log(Level.FINE, thread + ": cannot publish " + path, e);
        }
    }

    /** Stops sampling and removes the document. */
    @Override
    public synchronized void close() {
        if (publisher != null) {
            publisher.shutdownNow();
        }
        if (published != null) {
            try {
                published.close();
            } catch (Exception e) {
                LOG.log(Level.FINE, "close of " + path, e);
            }
        }
    }
}
