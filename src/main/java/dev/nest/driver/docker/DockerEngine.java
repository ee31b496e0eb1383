package dev.nest.driver.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import dev.nest.spi.SandboxException;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The Docker engine as the driver uses it: two docker-java clients on one endpoint and a bound on every call.
 *
 * <p>{@link #call} runs one request/response call (create, start, inspect, remove, list, ping) on a
 * platform thread of its own and waits at most the given time; on time-out the thread is interrupted, which
 * closes its connection (the transport's socket channels are interruptible), so a stuck engine costs a
 * bounded wait and never a hung caller. The response time-out of the transport is set too, but it is not
 * honoured on Unix sockets. {@link #streams()} is a second client without a response time-out, for the
 * long-lived streams (a pod's output, its exit); those run on docker-java's own threads and end when the
 * container is gone or the stream is closed.
 *
 * <p>Errors: a {@link DockerException} (the engine answered with an error status) is passed on for the caller
 * to map; anything else means the engine could not be reached and becomes a {@link SandboxException} naming
 * the endpoint and what to do.
 */
final class DockerEngine implements AutoCloseable {
    /**
     * The transport's HTTP client logs every retried request at INFO ("recoverable I/O exception"), which is
     * what a missing socket or a timed-out call looks like; the driver reports those itself. Held here because
     * JUL keeps loggers weakly.
     */
    private static final Logger TRANSPORT_LOG = Logger.getLogger("com.github.dockerjava.zerodep.shaded.org.apache.hc");

    static {
        TRANSPORT_LOG.setLevel(Level.WARNING);
    }

    private final DockerSettings settings;
    private final DockerClient commands;
    private final DockerClient streams;
    private final ExecutorService callers;

    DockerEngine(DockerSettings settings) {
        this.settings = settings;
        this.commands = client(settings, settings.timeout(), 64);
        this.streams = client(settings, null, 4096);
        AtomicInteger n = new AtomicInteger();
        ThreadFactory threads = r -> Thread.ofPlatform().daemon().stackSize(256 * 1024)
                .name("docker-call-" + n.incrementAndGet()).unstarted(r);
        this.callers = Executors.newCachedThreadPool(threads);
    }

    private static DockerClient client(DockerSettings settings, Duration responseTimeout, int maxConnections) {
        DefaultDockerClientConfig config = new DefaultDockerClientConfig.Builder()
                .withDockerHost(settings.endpoint()).withDockerTlsVerify(false).build();
        ZerodepDockerHttpClient.Builder http = new ZerodepDockerHttpClient.Builder().dockerHost(config.getDockerHost())
                .connectionTimeout(settings.timeout().compareTo(Duration.ofSeconds(5)) < 0 ? settings.timeout() : Duration.ofSeconds(5))
                .maxConnections(maxConnections);
        if (responseTimeout != null) {
            http.responseTimeout(responseTimeout);
        }
        return DockerClientImpl.getInstance(config, http.build());
    }

    String endpoint() {
        return settings.endpoint();
    }

    /** The client for streams (logs, wait): no time-out; callers close the streams themselves. */
    DockerClient streams() {
        return streams;
    }

    /** {@link #call(String, Duration, Function)} with the configured {@code timeout}. */
    <T> T call(String what, Function<DockerClient, T> op) {
        return call(what, settings.timeout(), op);
    }

    /**
     * Runs {@code op} against the engine, waiting at most {@code timeout}.
     *
     * @throws DockerException   the engine answered with an error (not found, conflict, ...)
     * @throws SandboxException the engine did not answer, or not in time
     */
    <T> T call(String what, Duration timeout, Function<DockerClient, T> op) {
        Future<T> f;
        try {
            f = callers.submit(() -> op.apply(commands));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            throw new SandboxException("the docker driver is closed; cannot " + what);
        }
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new SandboxException("the Docker engine at " + endpoint() + " did not answer '" + what + "' within "
                    + timeout.toMillis() + " ms; check that dockerd is healthy (docker info; its log, e.g. "
                    + "/var/log/nest-dockerd.log) or raise " + DockerSettings.PREFIX + "timeout", e);
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt();
            throw new SandboxException("interrupted while waiting for the Docker engine to " + what, e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof DockerException de) {
                throw de;
            }
            throw unreachable(what, cause);
        }
    }

    /** The engine could not be reached: names the endpoint, the reason and what to do. */
    SandboxException unreachable(String what, Throwable cause) {
        return new SandboxException("the Docker engine at " + endpoint() + " does not answer (" + what + ": "
                + reason(cause) + "); start dockerd: distribution/setup-engines.sh, or set " + DockerSettings.PREFIX
                + "host to the engine's socket", cause);
    }

    /** The most telling message in a cause chain (the innermost one that says something). */
    static String reason(Throwable t) {
        String reason = String.valueOf(t);
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c.getMessage() != null && !c.getMessage().isBlank()) {
                reason = (c instanceof IOException && !(c.getClass() == IOException.class)
                        ? c.getClass().getSimpleName() + ": " : "") + c.getMessage();
            }
        }
        return reason;
    }

    @Override
    public void close() {
        callers.shutdownNow();
        for (DockerClient c : new DockerClient[] {streams, commands}) {
            try {
                c.close();
            } catch (IOException | RuntimeException ignored) {
                // closing: nothing to do about it
            }
        }
    }
}
