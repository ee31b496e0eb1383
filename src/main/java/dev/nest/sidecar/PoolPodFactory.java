package dev.nest.sidecar;

import dev.nest.config.NestConfig;
import dev.nest.pool.PodFactory;
import dev.nest.pool.WarmPool;
import dev.nest.runtime.RuntimeDefinition;
import dev.nest.runtime.RuntimeRegistry;
import dev.nest.spi.PodLabels;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Starts the warm pools' generic pods through this node's {@link NodePods}: the runtime's default memory and
 * preload, labelled with the pool (so that orphan removal finds them), counted against {@code sidecar.max-pods},
 * and healthy before the pool gets them. A pod the pool hands out is the cold start's from then on; the pool's
 * state machine guarantees that {@link #stop} is only called for pods it never handed out, once each.
 *
 * <p>Failure: a start that fails stops what it started and gives back port and place before it throws; the message
 * says what to change. Threads: starts run on the pool's start executor; stops on its maintenance thread.
 */
final class PoolPodFactory implements PodFactory<PoolPodFactory.PoolPod> {
    private final NodePods pods;
    private final BooleanSupplier stopping;

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
