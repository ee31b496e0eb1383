package dev.nest.sidecar;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.common.Json;
import dev.nest.config.NestConfig;
import dev.nest.function.FunctionSpec;
import dev.nest.runtime.RuntimeDefinition;
import dev.nest.spi.PodLabels;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * This node's merged pods (ADR 0025): pods of a runtime's merged host, each holding several instances (function
 * versions) of one namespace (any namespace with {@code sidecar.merge-across-namespaces}). {@link #join} places an
 * instance in the pod {@link MergedPlacement#choose} picks, or starts a new merged pod through the same
 * {@link NodePods} (and so the same driver, port range and {@code sidecar.max-pods}, where a merged pod counts as
 * one pod) and waits until its host is healthy; the caller then {@code /load}s the instance into it as into any
 * pod. {@link Membership#leave} {@code /unload}s it; the last instance to leave stops the pod.
 *
 * <p>Memory: a merged pod's limit is fixed when it starts: {@link MergedPlacement#podMemoryMb} (the room of
 * {@code max-functions} functions of the runtime's default memory plus {@code sidecar.merged-host-memory});
 * packing keeps the sum of its instances' memory within the room.
 *
 * <p>Failure: a merged pod that fails to start fails every instance that was joining it (each start then fails as a
 * dedicated one would); a merged pod that exits leaves the packing at once, and each of its instances is replaced by
 * its own start's exit handling ({@link ColdStart}). An {@code /unload} that fails is logged; the instance is gone
 * from the agent either way.
 *
 * <p>Threads: {@link #join} on start threads (blocking while the pod starts), {@link Membership#leave} on stop
 * threads, {@link #sample} on the usage thread. The packing state is guarded by this object's lock; no call to a
 * host or driver is made under it.
 */
final class MergedPods {
    private static final Logger LOG = Logger.getLogger(MergedPods.class.getName());

    private final NodePods pods;
    private final NestConfig.Merged config;
    private final Duration startTimeout;
    private final Duration stopGrace;
    private final LongSupplier nanoTime;
    private final List<SharedPod> live = new ArrayList<>();

    /** One merged pod: its members and memory (guarded by the {@link MergedPods} lock) and its start. */
    static final class SharedPod {
        final String id;
        final RuntimeDefinition runtime;
        final String namespace;
        final Set<Instance> members = new LinkedHashSet<>();
        final CompletableFuture<NodePods.Started> started = new CompletableFuture<>();
        final RecentOutput recent = new RecentOutput();
        int memoryMb;
        boolean accepting = true;
        boolean released;

        SharedPod(String id, RuntimeDefinition runtime, String namespace) {
            this.id = id;
            this.runtime = runtime;
            this.namespace = namespace;
        }

        String id() {
            return id;
        }
    }

    /** An instance's place in a merged pod. */
    final class Membership {
        private final SharedPod pod;
        private final Instance instance;
        private final int memoryMb;

        private Membership(SharedPod pod, Instance instance, int memoryMb) {
            this.pod = pod;
            this.instance = instance;
            this.memoryMb = memoryMb;
        }

        /** The merged pod's id. */
        String podId() {
            return pod.id;
        }

        /**
         * Takes the instance out of its pod: {@code /unload} (which waits for its requests in flight; skipped when
         * {@code unload} is false or the pod is gone), and stops the pod when it was the last instance.
         */
        void leave(boolean unload) {
            MergedPods.this.leave(this, unload);
        }
    }

    MergedPods(NodePods pods, NestConfig.Merged config, Duration startTimeout, Duration stopGrace,
               LongSupplier nanoTime) {
        this.pods = pods;
        this.config = config;
        this.startTimeout = startTimeout;
        this.stopGrace = stopGrace;
        this.nanoTime = nanoTime;
    }

    /**
     * Places {@code inst} of {@code spec} in a merged pod of {@code runtime}, starting one when none has room, and
     * returns the pod once its host is healthy. The instance's {@link Instance#membership} is set before this waits,
     * so that a stop of the instance at any point takes it out again.
     *
     * @throws InvokeException 503 when a new pod is needed and the node is at {@code sidecar.max-pods}; 502 when the
     *                         pod fails to start
     */
    NodePods.Started join(Instance inst, FunctionSpec spec, RuntimeDefinition runtime) throws IOException {
        SharedPod pod;
        boolean starter = false;
        String ns = spec.id().namespace();
        synchronized (this) {
            List<SharedPod> same = live.stream().filter(p -> p.runtime.name().equals(runtime.name())).toList();
            List<MergedPlacement.PodRoom> rooms = same.stream()
                    .map(p -> new MergedPlacement.PodRoom(p.namespace, p.members.size(), p.memoryMb, p.accepting))
                    .toList();
            Optional<Integer> chosen = MergedPlacement.choose(rooms, ns, spec.memoryMb(), runtime,
                    config.acrossNamespaces());
            if (chosen.isPresent()) {
                pod = same.get(chosen.get());
            } else {
                if (pods.reserve() > 0) {
                    pods.unreserve();
                    throw new InvokeException(503, "node at capacity", "node " + pods.nodeId() + " runs sidecar.max-pods "
                            + pods.maxPods() + " pods; a merged pod for " + spec.id() + " cannot start; retry later or"
                            + " raise sidecar.max-pods");
                }
                pod = new SharedPod(pods.newId("merged-" + runtime.name() + "-" + ns), runtime, ns);
                live.add(pod);
                starter = true;
            }
            pod.members.add(inst);
            pod.memoryMb += spec.memoryMb();
            inst.joined(new Membership(pod, inst, spec.memoryMb()));
        }
        if (starter) {
            start(pod);
        }
        try {
            return pod.started.get(startTimeout.toMillis() + 1_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof InvokeException ie) {
                throw ie;
            }
            throw new InvokeException(502, "merged pod start failed", "the merged pod " + pod.id + " did not start: "
                    + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new InvokeException(502, "merged pod start failed", "the merged pod " + pod.id + " did not become"
                    + " healthy within sidecar.start-timeout " + startTimeout.toMillis() + " ms" + pod.recent.tail());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InvokeException(503, "interrupted", "interrupted while starting a merged pod");
        }
    }

    /**
     * Whether an instance of {@code memoryMb} in {@code namespace} could join a merged pod of {@code runtime} now: one
     * running or starting has room ({@link MergedPlacement#choose}), or the node is under {@code sidecar.max-pods} and
     * may start one. A burst worker that finds neither starts in a pod of its own instead (which then finds the node at
     * capacity as any start would, unless the warm pool has a pod for it).
     */
    boolean canTake(String namespace, int memoryMb, RuntimeDefinition runtime) {
        synchronized (this) {
            List<MergedPlacement.PodRoom> rooms = live.stream().filter(p -> p.runtime.name().equals(runtime.name()))
                    .map(p -> new MergedPlacement.PodRoom(p.namespace, p.members.size(), p.memoryMb, p.accepting))
                    .toList();
            if (MergedPlacement.choose(rooms, namespace, memoryMb, runtime, config.acrossNamespaces()).isPresent()) {
                return true;
            }
        }
        return pods.belowCapacity();
    }

    private void start(SharedPod pod) {
        Map<String, String> labels = Map.of(PodLabels.OWNER, "nest", PodLabels.NODE, pods.nodeId(),
                PodLabels.FUNCTION, "merged." + pod.namespace, PodLabels.VERSION, "0");
        try {
            NodePods.Started s = pods.startHealthy("merged pod " + pod.id, pod.id, pod.runtime,
                    MergedPlacement.podMemoryMb(pod.runtime, config), labels, pod.recent, podId -> { }, true);
            s.pod().exited().thenAccept(exit -> exited(pod, exit));
            LOG.info("started merged pod " + pod.id + " (" + pod.runtime.name() + ", namespace " + pod.namespace
                    + ") on port " + s.port());
            pod.started.complete(s);
        } catch (IOException | RuntimeException e) {
            synchronized (this) {
                pod.accepting = false;
                live.remove(pod);
                pod.released = true;
            }
            pods.unreserve(); // startHealthy gave back the port
            pod.started.completeExceptionally(e);
        }
    }

    /** The pod's host exited: it takes no one new; its instances are replaced by their own exit handling. */
    private void exited(SharedPod pod, int exit) {
        synchronized (this) {
            pod.accepting = false;
            live.remove(pod);
        }
        LOG.warning("merged pod " + pod.id + " exited with code " + exit + "; its " + pod.members.size()
                + " instance(s) are replaced");
    }

    private void leave(Membership m, boolean unload) {
        SharedPod pod = m.pod;
        boolean last;
        synchronized (this) {
            if (!pod.members.remove(m.instance)) {
                return;
            }
            pod.memoryMb -= m.memoryMb;
            last = pod.members.isEmpty();
            if (last) {
                pod.accepting = false;
                live.remove(pod);
            }
        }
        Optional<NodePods.Started> s = pod.started.isDone() && !pod.started.isCompletedExceptionally()
                ? Optional.of(pod.started.join()) : Optional.empty();
        if (s.isEmpty()) {
            return; // never started: released by the failed start
        }
        if (unload && !last && !s.get().pod().exited().isDone()) {
            try {
                // an instance one of whose invocations was stopped ends that work now (merged-isolation: worker)
                HostClient.Response r = s.get().client().call("POST", "/unload", Json.bytes(m.instance.stopWhenIdle
                        ? Map.of("id", m.instance.id(), "force", true) : Map.of("id", m.instance.id())),
                        stopGrace.toMillis() + 30_000);
                if (r.status() != 200 && r.status() != 404) {
                    LOG.warning("unloading " + m.instance + " from merged pod " + pod.id + ": " + r.status() + " "
                            + r.bodyText());
                }
            } catch (IOException e) {
                LOG.log(Level.WARNING, "unloading " + m.instance + " from merged pod " + pod.id + " failed", e);
            }
        }
        if (last) {
            synchronized (this) {
                if (pod.released) {
                    return;
                }
                pod.released = true;
            }
            try {
                s.get().pod().stop(stopGrace);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "stopping merged pod " + pod.id + " failed", e);
            }
            s.get().client().close();
            pods.released(s.get().port());
            LOG.info("stopped merged pod " + pod.id + ": its last instance left");
        }
    }

    /**
     * {@code culprit}'s merged pod can no longer be trusted to end its work (a Java invocation ignored its
     * interruption and keeps a thread running): the pod takes no new instance, and its other instances are returned
     * so that the caller moves each to a fresh merged pod before the old pod drains and stops with its last instance.
     */
    List<Instance> evacuate(Instance culprit) {
        Optional<Membership> m = culprit.membership();
        if (m.isEmpty()) {
            return List.of();
        }
        synchronized (this) {
            SharedPod pod = m.get().pod;
            pod.accepting = false;
            return pod.members.stream().filter(i -> i != culprit).toList();
        }
    }

    /** Merged pods now, with their instances' ids: for the API. */
    synchronized Map<String, List<String>> members() {
        Map<String, List<String>> out = new HashMap<>();
        for (SharedPod p : live) {
            out.put(p.id, p.members.stream().map(Instance::id).toList());
        }
        return out;
    }

    /** How many merged pods run or start. */
    synchronized int count() {
        return live.size();
    }

    /**
     * Reads each started merged pod's {@code /status} and gives its instances their own usage: CPU as the time
     * their worker was busy (Node.js) or their own threads' CPU time (Java), memory as their heap in use (Node.js;
     * a Java instance has no heap of its own and reports none), and a Java instance's allocated bytes
     * ({@link Instance#allocation}). A pod that does not answer leaves its instances unmeasured for this round.
     */
    void sample() {
        List<SharedPod> snapshot;
        synchronized (this) {
            snapshot = List.copyOf(live);
        }
        for (SharedPod pod : snapshot) {
            if (!pod.started.isDone() || pod.started.isCompletedExceptionally()) {
                continue;
            }
            Map<String, Instance> byId = new HashMap<>();
            synchronized (this) {
                pod.members.forEach(i -> byId.put(i.id(), i));
            }
            try {
                HostClient.Response r = pod.started.join().client().call("GET", "/status", null, 2_000);
                if (r.status() != 200) {
                    continue;
                }
                JsonNode status = Json.tree(r.body(), "merged host status");
                long now = nanoTime.getAsLong();
                for (JsonNode i : status.path("instances")) {
                    Instance inst = byId.get(i.path("id").asText());
                    if (inst != null && i.has("cpuMs")) {
                        long cpuNanos = Math.max(0, Math.round(i.path("cpuMs").asDouble(0) * 1e6));
                        long heap = i.has("heapUsedBytes") ? Math.max(0, i.path("heapUsedBytes").asLong(0)) : -1;
                        inst.observeOwnUsage(cpuNanos, heap, now);
                    } else if (inst != null) {
                        inst.observeUsage(Optional.empty(), now);
                    }
                    if (inst != null) {
                        // a host that parks idle functions says which ones have no worker now (Node.js: running)
                        inst.parked(i.has("running") && !i.path("running").asBoolean(true));
                    }
                    if (inst != null && i.has("allocatedBytes")) {
                        inst.allocation.observe(Math.max(0, i.path("allocatedBytes").asLong(0)), now);
                    }
                }
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.FINE, "reading /status of merged pod " + pod.id, e);
            }
        }
    }
}
