package dev.nest.driver.containerd;

import containerd.services.containers.v1.ContainersGrpc;
import containerd.services.content.v1.ContentGrpc;
import containerd.services.images.v1.ImagesGrpc;
import containerd.services.leases.v1.LeasesGrpc;
import containerd.services.snapshots.v1.SnapshotsGrpc;
import containerd.services.tasks.v1.TasksGrpc;
import containerd.services.version.v1.VersionGrpc;
import dev.nest.spi.SandboxException;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * containerd as the driver uses it: one gRPC channel on the Unix socket (Netty's epoll transport), the
 * namespace in the {@code containerd-namespace} header of every call, and a deadline on every call.
 *
 * <p>The stub accessors return stubs whose deadline starts now ({@code timeout} of the settings, or the
 * given one), so take a stub per call. {@link #call} turns "could not reach containerd" (the socket is
 * missing, the daemon is down: {@code UNAVAILABLE}) and time-outs into a {@link SandboxException} naming the
 * socket and what to do; any other status (not found, already exists, ...) is passed on for the caller to map.
 *
 * <p>The channel reconnects by itself with a back-off; {@link #resetBackoff()} makes the next call try at
 * once (health checks use it, so that a containerd that came back is seen without waiting for the back-off).
 */
final class ContainerdEngine implements AutoCloseable {
    static final Metadata.Key<String> NAMESPACE = Metadata.Key.of("containerd-namespace", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> LEASE = Metadata.Key.of("containerd-lease", Metadata.ASCII_STRING_MARSHALLER);

    /**
     * gRPC asks for SO_KEEPALIVE on every transport, which Unix sockets do not have; Netty warns about it on
     * each connection. Held here because JUL keeps loggers weakly.
     */
    private static final java.util.logging.Logger BOOTSTRAP_LOG = java.util.logging.Logger.getLogger("io.netty.bootstrap");

    static {
        BOOTSTRAP_LOG.setLevel(java.util.logging.Level.SEVERE);
    }

    private final ContainerdSettings settings;
    private final EventLoopGroup loop;
    private final ExecutorService callbacks;
    private final ManagedChannel channel;
    private final Channel namespaced;

    ContainerdEngine(ContainerdSettings settings) {
        if (!Epoll.isAvailable()) {
            throw new SandboxException("the containerd driver needs Netty's epoll transport (Linux x86_64) to reach "
                    + settings.address() + ": " + Epoll.unavailabilityCause());
        }
        this.settings = settings;
        AtomicInteger n = new AtomicInteger();
        java.util.concurrent.ThreadFactory io = r -> Thread.ofPlatform().daemon().name("containerd-io").unstarted(r);
        this.loop = new EpollEventLoopGroup(1, io);
        this.callbacks = Executors.newCachedThreadPool(r -> Thread.ofPlatform().daemon().stackSize(256 * 1024)
                .name("containerd-call-" + n.incrementAndGet()).unstarted(r));
        this.channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(settings.address().toString()))
                .channelType(EpollDomainSocketChannel.class).eventLoopGroup(loop).executor(callbacks)
                .usePlaintext().overrideAuthority("localhost").maxInboundMessageSize(64 * 1024 * 1024).build();
        Metadata md = new Metadata();
        md.put(NAMESPACE, settings.namespace());
        this.namespaced = ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(md));
    }

    /** The socket and namespace as written in messages. */
    String where() {
        return "containerd at " + settings.address() + " (namespace " + settings.namespace() + ")";
    }

    ContainerdSettings settings() {
        return settings;
    }

    void resetBackoff() {
        channel.resetConnectBackoff();
    }

    private <S extends AbstractStub<S>> S bounded(S stub, Duration timeout) {
        return stub.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    ContainersGrpc.ContainersBlockingStub containers() {
        return bounded(ContainersGrpc.newBlockingStub(namespaced), settings.timeout());
    }

    TasksGrpc.TasksBlockingStub tasks() {
        return tasks(settings.timeout());
    }

    TasksGrpc.TasksBlockingStub tasks(Duration timeout) {
        return bounded(TasksGrpc.newBlockingStub(namespaced), timeout);
    }

    /** For {@code Wait}: no deadline (it answers when the task exits); cancelled when the pod is stopped. */
    TasksGrpc.TasksStub tasksAsync() {
        return TasksGrpc.newStub(namespaced);
    }

    SnapshotsGrpc.SnapshotsBlockingStub snapshots() {
        return bounded(SnapshotsGrpc.newBlockingStub(namespaced), settings.timeout());
    }

    LeasesGrpc.LeasesBlockingStub leases() {
        return bounded(LeasesGrpc.newBlockingStub(namespaced), settings.timeout());
    }

    ImagesGrpc.ImagesBlockingStub images() {
        return bounded(ImagesGrpc.newBlockingStub(namespaced), settings.timeout());
    }

    ContentGrpc.ContentBlockingStub content() {
        return bounded(ContentGrpc.newBlockingStub(namespaced), settings.timeout());
    }

    VersionGrpc.VersionBlockingStub version(Duration timeout) {
        return bounded(VersionGrpc.newBlockingStub(namespaced), timeout);
    }

    /** {@code stub} with the lease header: what the call creates is held by lease {@code leaseId}. */
    static <S extends AbstractStub<S>> S leased(S stub, String leaseId) {
        Metadata md = new Metadata();
        md.put(LEASE, leaseId);
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
    }

    /**
     * Runs one call.
     *
     * @throws StatusRuntimeException containerd answered with an error other than unavailable / time-out
     * @throws SandboxException       containerd could not be reached, or did not answer in time
     */
    <T> T call(String what, Supplier<T> op) {
        try {
            return op.get();
        } catch (StatusRuntimeException e) {
            Status.Code code = e.getStatus().getCode();
            if (code == Status.Code.UNAVAILABLE) {
                throw unreachable(what, e);
            }
            if (code == Status.Code.DEADLINE_EXCEEDED) {
                throw new SandboxException(where() + " did not answer '" + what + "' in time (" + settings.timeout().toMillis()
                        + " ms); check that containerd is healthy (its log, e.g. /var/log/nest-containerd.log) or raise "
                        + ContainerdSettings.PREFIX + "timeout", e);
            }
            if (code == Status.Code.CANCELLED && Thread.currentThread().isInterrupted()) {
                throw new SandboxException("interrupted while waiting for containerd to " + what, e);
            }
            throw e;
        }
    }

    SandboxException unreachable(String what, Throwable cause) {
        return new SandboxException(where() + " does not answer (" + what + ": " + reason(cause) + "); start it with "
                + "distribution/setup-engines.sh, or set " + ContainerdSettings.PREFIX + "address to containerd's socket", cause);
    }

    /** containerd's own words for a failed call. */
    static String reason(Throwable t) {
        if (t instanceof StatusRuntimeException s) {
            String d = s.getStatus().getDescription();
            String cause = s.getCause() == null ? "" : " (" + s.getCause().getMessage() + ")";
            return s.getStatus().getCode() + (d == null ? "" : ": " + d) + cause;
        }
        return String.valueOf(t);
    }

    static boolean is(Throwable t, Status.Code code) {
        return t instanceof StatusRuntimeException s && s.getStatus().getCode() == code;
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        callbacks.shutdownNow();
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
