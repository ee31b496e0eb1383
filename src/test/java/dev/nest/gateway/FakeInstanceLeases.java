package dev.nest.gateway;

import dev.nest.function.FunctionVersion;
import dev.nest.sidecar.HostClient;
import dev.nest.sidecar.Instance;
import dev.nest.sidecar.InstanceLeases;
import dev.nest.sidecar.InvokeException;
import dev.nest.sidecar.Lease;
import dev.nest.sidecar.Pending;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Leases on instances whose runtime host is a test's {@link FakeHost}, answered the way a test says: at once
 * ({@link #serveAtOnce}), later ({@link #makeWait}: the test completes the future it finds in {@link #waiting}),
 * or refused ({@link #refuse}). Records what the gateway gave back.
 */
final class FakeInstanceLeases implements InstanceLeases, Lease.Lessor {
    final BlockingQueue<Lease> released = new LinkedBlockingQueue<>();
    final BlockingQueue<Lease> recycled = new LinkedBlockingQueue<>();
    final BlockingQueue<Lease> retired = new LinkedBlockingQueue<>();
    final BlockingQueue<Lease> stopped = new LinkedBlockingQueue<>();
    final BlockingQueue<CompletableFuture<Lease>> waiting = new LinkedBlockingQueue<>();
    final BlockingQueue<Pending> cancelled = new LinkedBlockingQueue<>();
    final AtomicInteger acquired = new AtomicInteger();
    private volatile Function<FunctionVersion, Pending> answer;
    private volatile Function<Pending, Optional<InvokeException>> onCancel =
            p -> Optional.of(new InvokeException(503, "no instance available", "the fake gave none"));

    /** A lease on an instance served by the host on {@code port}. */
    Lease lease(FunctionVersion version, String instanceId, int port, boolean cold, Map<String, Double> startPhases) {
        Instance instance = Instance.serving(instanceId, version, new HostClient("127.0.0.1", port, "s3cret"));
        return new Lease(instance, cold, cold ? 1.5 : 0, startPhases, this);
    }

    /** Every acquire gets a warm lease on instance {@code instanceId} at once. */
    void serveAtOnce(String instanceId, int port) {
        answer = v -> Pending.ready(lease(v, instanceId, port, false, Map.of()));
    }

    /** Every acquire waits (up to {@code waitNanos}) for the test to complete the future it puts in {@link #waiting}. */
    void makeWait(long waitNanos) {
        answer = v -> {
            CompletableFuture<Lease> f = new CompletableFuture<>();
            waiting.add(f);
            return Pending.waiting(f, System.nanoTime() + waitNanos);
        };
    }

    /** Every acquire throws {@code e}, as the node agent does when the queue is full or the node stops. */
    void refuse(InvokeException e) {
        answer = v -> {
            throw e;
        };
    }

    /** What {@link #cancel} answers. */
    void onCancel(Function<Pending, Optional<InvokeException>> f) {
        onCancel = f;
    }

    /** The next waiting acquire, within the bound. */
    CompletableFuture<Lease> nextWaiting() throws InterruptedException {
        return take(waiting, "no acquire waited");
    }

    static <T> T take(BlockingQueue<T> q, String what) throws InterruptedException {
        T t = q.poll(FakeHost.BOUND_S, TimeUnit.SECONDS);
        if (t == null) {
            throw new AssertionError(what + " within " + FakeHost.BOUND_S + " s");
        }
        return t;
    }

    @Override
    public Pending acquireAsync(FunctionVersion version, long deadlineNanos) {
        acquired.incrementAndGet();
        return answer.apply(version);
    }

    @Override
    public Optional<InvokeException> cancel(Pending p) {
        cancelled.add(p);
        return onCancel.apply(p);
    }

    @Override
    public void release(Lease lease) {
        released.add(lease);
    }

    @Override
    public void recycle(Lease lease, String reason) {
        recycled.add(lease);
    }

    @Override
    public void retire(Lease lease, String reason) {
        retired.add(lease);
    }

    @Override
    public void stop(Lease lease, String reason) {
        stopped.add(lease);
    }
}
