package dev.nest.sidecar;

import dev.nest.config.NestConfig;
import dev.nest.pool.PodFactory;
import dev.nest.pool.WarmPool;
import dev.nest.pool.WarmUp;
import dev.nest.runtime.RuntimeDefinition;
import dev.nest.runtime.RuntimeRegistry;
import dev.nest.spi.PodLabels;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;

/**
 * Starts the warm pools' generic pods through this node's {@link NodePods}: the runtime's default memory and
 * preload, labelled with the pool (so that orphan removal finds them), counted against {@code sidecar.max-pods},
 * healthy and warmed up before the pool gets them ({@link WarmUp}: its host runs its own load and invocation path
 * once on a built-in function and removes every trace of it; a host without a warm-up is used as it is, a pod whose
 * warm-up failed is stopped). A pod the pool hands out is the cold start's from then on; the pool's
 * state machine guarantees that {@link #stop} is only called for pods it never handed out, once each.
 *
 * <p>Failure: a start that fails stops what it started and gives back port and place before it throws; the message
 * says what to change. Threads: starts run on the pool's start executor; stops on its maintenance thread.
 */
final class PoolPodFactory implements PodFactory<PoolPodFactory.PoolPod> {
    private static final Logger LOG = Logger.getLogger(PoolPodFactory.class.getName());
    /** How long a host's warm-up may take (it answers when done; a few hundred ms on a loaded node). */
    static final long WARM_UP_TIMEOUT_MILLIS = 20_000;

    private final NodePods pods;
    private final BooleanSupplier stopping;
    private final WarmUp warmUps = new WarmUp();

    /** A generic pod of a warm pool: started, healthy, not loaded. */
    record PoolPod(NodePods.Started started, RecentOutput recent) {
    }

    /** @param stopping whether the node is stopping (then no pod is started) */
    PoolPodFactory(NodePods pods, BooleanSupplier stopping) {
        this.pods = pods;
        this.stopping = stopping;
    }

    /** A pool per runtime, of the size {@code sidecar.pool} gives it, else its {@code runtime.yaml}'s. */
    static List<WarmPool.Runtime> pools(RuntimeRegistry runtimes, NestConfig.Pool config) {
        List<WarmPool.Runtime> out = new ArrayList<>();
        for (RuntimeDefinition r : runtimes.all()) {
            out.add(new WarmPool.Runtime(r.name(), config.sizes().getOrDefault(r.name(), r.pool()), r.memoryMb()));
        }
        return out;
    }

    @Override
    public PoolPod start(String runtimeName, Runnable onExit) {
        if (stopping.getAsBoolean()) {
            throw new IllegalStateException("node stopping");
        }
        if (pods.reserve() > 0) {
            pods.unreserve();
            throw new IllegalStateException("node at capacity (sidecar.max-pods " + pods.maxPods()
                    + "); lower the pool size or raise sidecar.max-pods");
        }
        NodePods.Started started = null;
        try {
            RuntimeDefinition runtime = pods.runtime(runtimeName);
            RecentOutput recent = new RecentOutput();
            Map<String, String> labels = Map.of(PodLabels.OWNER, "nest", PodLabels.NODE, pods.nodeId(),
                    PodLabels.POOL, runtimeName);
            // a host whose port another process took is started again on another port
            started = pods.startHealthy("the " + runtimeName + " pool", pods.newId("pool-" + runtimeName), runtime,
                    runtime.memoryMb(), labels, recent, podId -> { });
            warmUp(runtimeName, started);
            started.pod().exited().thenRun(onExit);
            return new PoolPod(started, recent);
        } catch (RuntimeException | IOException e) {
            if (started != null) {
                stop(started);
            } else {
                pods.unreserve();
            }
            throw e instanceof RuntimeException re ? re
                    : new IllegalStateException("cannot start a " + runtimeName + " pool pod: " + e.getMessage(), e);
        }
    }

    /**
     * Asks the pod's host to warm up; throws (the caller then stops the pod) when the warm-up failed, since the pod
     * may then hold state of it.
     */
    private void warmUp(String runtimeName, NodePods.Started started) {
        if (!warmUps.shouldTry(runtimeName)) {
            return;
        }
        OptionalInt status;
        String detail = "";
        try {
            HostClient.Response r = started.client().call("POST", "/warmup", new byte[0], WARM_UP_TIMEOUT_MILLIS);
            status = OptionalInt.of(r.status());
            detail = r.bodyText();
        } catch (IOException e) {
            status = OptionalInt.empty();
            detail = String.valueOf(e.getMessage());
        }
        WarmUp.Outcome outcome = WarmUp.outcome(status);
        warmUps.record(runtimeName, outcome);
        if (!WarmUp.keep(outcome)) {
            int failures = warmUps.failuresInRow(runtimeName);
            throw new IllegalStateException("the warm-up of a " + runtimeName + " pool pod failed ("
                    + (status.isPresent() ? "status " + status.getAsInt() : "no answer") + ": "
                    + detail.substring(0, Math.min(300, detail.length())) + "); the pod is replaced"
                    + (WarmUp.shouldTry(failures) ? "" : "; the runtime's pool pods are no longer warmed up after "
                    + failures + " failures in a row"));
        }
        String why = detail;
        LOG.fine(() -> outcome == WarmUp.Outcome.WARMED
                ? "warmed up a " + runtimeName + " pool pod: " + why
                : "the " + runtimeName + " host did not warm up: " + why);
    }

    @Override
    public boolean alive(PoolPod p) {
        return !p.started().pod().exited().isDone();
    }

    @Override
    public void stop(PoolPod p) {
        stop(p.started());
    }

    private void stop(NodePods.Started s) {
        pods.stopQuietly(s.pod());
        s.client().close();
        pods.released(s.port());
    }
}
