package dev.nest;

import dev.nest.cluster.Cluster;
import dev.nest.function.FunctionId;
import dev.nest.load.ClusterLoad;
import dev.nest.load.LoadReporter;
import dev.nest.load.VersionTraffic;
import dev.nest.namespace.Quotas;
import dev.nest.placement.ClusterNodes;
import dev.nest.placement.ClusterPlacementStore;
import dev.nest.placement.LeaderPlacements;
import dev.nest.placement.NodeProbe;
import dev.nest.placement.PlacementFollower;
import dev.nest.placement.Targets;
import dev.nest.scaler.Scaler;
import dev.nest.scaler.ScalerLoop;
import dev.nest.scaler.TargetSink;
import dev.nest.runtime.RuntimeDefinition;
import dev.nest.runtime.RuntimeRegistry;
import dev.nest.scaler.InstanceLoad;
import dev.nest.scaler.LoadSource;
import dev.nest.scheduler.MergedShape;
import dev.nest.scheduler.RecentRates;
import dev.nest.scheduler.Scheduler;
import dev.nest.sidecar.NodeAgent;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The parts of a node that decide for the whole region, and the parts every node runs to follow them: the live
 * scaler and the scheduler (active only while this node leads: load from every node's agent, desired counts through
 * the scheduler to placements in ZooKeeper, this node's own count also straight to its agent), the leader's
 * placements, each node's placement follower (its placements become its agent's targets), the load reports (every
 * node pushes its load to the leader each second) and the node probes (the leader tries every other node, the
 * others the leader, so that a dead node is evicted before its session expires).
 *
 * <p>Lifecycle: {@link #start} builds and starts everything and subscribes to the cluster's leadership (the switch:
 * the scaler runs once the leader has taken over the placements); {@link #close} stops them in reverse. Leadership
 * changes arrive on the cluster's {@code nest-leadership} thread; node changes on a Curator thread.
 */
final class ControlPlane implements AutoCloseable {
    private final Deque<AutoCloseable> closers;
    private final ScalerLoop scaler;
    private final Scheduler scheduler;
    private final ClusterLoad load;

    private ControlPlane(Deque<AutoCloseable> closers, ScalerLoop scaler, Scheduler scheduler, ClusterLoad load) {
        this.closers = closers;
        this.scaler = scaler;
        this.scheduler = scheduler;
        this.load = load;
    }

    /**
     * Starts this node's part of the control plane.
     *
     * @param capacity this node's capacity labels, assumed for nodes that advertise none
     * @param probeEvery how often nodes are probed; zero for never
     * @param peerHeaders the headers that authenticate this node's load reports at the leader
     * @param peerTls the trust for the leader's {@code https} URL (the public port's TLS), empty when it is off
     * @param quotas the namespaces' quotas, which the scheduler and the scaler stay within
     * @param traffic this node's requests per function version, sent with its load reports (canary releases)
     * @param mergeBelow {@code sidecar.merge-below}: the scheduler counts a {@code deploy: auto} function's instances as
     *                   merged while its requests in the cluster over the last minute are under it (with the node
     *                   agent's band, {@link Scheduler.Merging#byTrafficWithBand})
     * @param shapes how each runtime's merged pods are packed, empty for a runtime without a merged host
     *               ({@link #mergedShapes})
     * @param burstRelease {@code cluster.burst-release}: the scaler releases instances above a function's steady need
     *                     after this (zero: off; {@link dev.nest.scaler.BurstRelease})
     */
    static ControlPlane start(Cluster cluster, NodeAgent agent, Map<String, String> capacity, Duration probeEvery,
                              Duration probeStartGrace, Clock clock, Supplier<Map<String, String>> peerHeaders,
                              Optional<javax.net.ssl.SSLContext> peerTls, Quotas quotas,
                              Supplier<List<VersionTraffic>> traffic, int mergeBelow,
                              Function<String, Optional<MergedShape>> shapes, Duration burstRelease) {
        Deque<AutoCloseable> closers = new ArrayDeque<>();
        try {
            String self = cluster.self().id();
            Targets targets = targets(agent);
            // load: the leader sums its own agent (read directly) and every other node's report (pushed each second)
            ClusterLoad load = new ClusterLoad(self, agent::load, System::nanoTime, traffic, agent::parked,
                    agent::burst);
            // a node that is starting an instance on demand counts as serving it, so the scheduler does not start another;
            // instances a node reports parked in merged pods are reserved at what a parked function holds (ADR 0025)
            // and burst workers are accounted as the merged instances they are
            ClusterNodes nodes = ClusterNodes.of(cluster, capacity, load::active, load::parked, load::burst);
            ClusterPlacementStore store = new ClusterPlacementStore(cluster.placements(), cluster.functions());
            AtomicReference<NodeProbe> probe = new AtomicReference<>();
            AtomicReference<LeaderPlacements> placements = new AtomicReference<>();
            if (!probeEvery.isZero()) {
                probe.set(push(closers, new NodeProbe(() -> nodes.targets(n -> !n.id().equals(self)), probeEvery, 2,
                        NodeProbe.tcp(), cluster.leadership()::isLeader, () -> {
                            probe.get().downNodes().forEach(cluster.membership()::evict);
                            placements.get().nodesChanged();
                        }, probeStartGrace, System::nanoTime)));
                startLeaderProbe(closers, cluster, nodes, probeEvery, probeStartGrace);
            }
            placements.set(push(closers, new LeaderPlacements(self,
                    () -> nodes.states(id -> probe.get() != null && probe.get().down(id)), store, targets,
                    () -> cluster.leadership().epoch().isPresent())));
            LeaderPlacements leader = placements.get();
            // deploy: auto in the cluster: the leader counts a function as merged by its requests over the last minute,
            // read from the served counters of the load it sums each scaler tick
            RecentRates rates = new RecentRates();
            LoadSource counted = () -> {
                Map<FunctionId, InstanceLoad> now = load.load();
                Map<FunctionId, Long> served = new java.util.HashMap<>();
                now.forEach((id, l) -> served.put(id, l.served()));
                rates.record(served, System.nanoTime());
                return now;
            };
            Scheduler scheduler = new Scheduler(cluster.functions(), leader, leader, 0, clock, quotas,
                    Scheduler.Merging.byTrafficWithBand(mergeBelow, id -> rates.perMinute(id, System.nanoTime()), shapes));
            leader.attach(scheduler);
            PlacementFollower follower = push(closers, new PlacementFollower(() -> store.of(self), targets,
                    cluster.leadership()::isLeader));
            cluster.placements().onChange(follower::changed);

            LoadReporter reporter = push(closers, new LoadReporter(self, agent::load, cluster.membership()::leaderUrl,
                    LoadReporter.http(peerHeaders, peerTls), traffic, agent::parked, agent::burst));
            // the scaler's desired counts go to the scheduler, which places them across the nodes
            TargetSink toScheduler = TargetSink.of(scheduler::scale, scheduler::release);
            ScalerLoop scaler = push(closers, new ScalerLoop(cluster.functions(), counted, toScheduler,
                    Scaler.windowed(dev.nest.scaler.BurstRelease.after(burstRelease)), clock,
                    quotas));
            agent.onStarved(scaler::wake);
            agent.onStarved(reporter::starved); // sent only while another node leads
            scaler.start();
            reporter.start();
            follower.start();
            leader.start();
            Optional.ofNullable(probe.get()).ifPresent(NodeProbe::start);
            cluster.membership().onNodesChanged(leader::nodesChanged);
            cluster.leadership().onLeadership(leads -> {
                follower.changed();
                if (leads) {
                    leader.leadershipWon(() -> {
                        if (cluster.leadership().isLeader()) { // not lost again while the placements were taken over
                            scaler.setActive(true);
                        }
                    });
                } else {
                    scaler.setActive(false);
                }
            });
            return new ControlPlane(closers, scaler, scheduler, load);
        } catch (RuntimeException e) {
            Startup.closeAll(closers);
            throw e;
        }
    }

    /**
     * How the scheduler counts each runtime's merged pods (ADR 0025): at most its {@code max-functions} instances and
     * {@code max-functions} times its memory per pod, namespaces apart unless {@code acrossNamespaces}, each pod holding
     * {@code hostMemoryMb} ({@code sidecar.merged-host-memory}) beyond its instances, as the node agent sizes it; empty for a
     * runtime that is not known or has no merged host (its instances are never counted as merged).
     */
    static Function<String, Optional<MergedShape>> mergedShapes(RuntimeRegistry runtimes, boolean acrossNamespaces,
                                                                int hostMemoryMb) {
        return name -> runtimes.find(name).filter(RuntimeDefinition::canMerge)
                .map(r -> new MergedShape(r.maxFunctions(), (int) Math.min(Integer.MAX_VALUE, (long) r.maxFunctions() * r.memoryMb()),
                        acrossNamespaces, hostMemoryMb));
    }

    /** Non-leaders probe the leader and evict it when it refuses connections, so that the next one takes over. */
    private static void startLeaderProbe(Deque<AutoCloseable> closers, Cluster cluster, ClusterNodes nodes,
                                         Duration probeEvery, Duration probeStartGrace) {
        String self = cluster.self().id();
        AtomicReference<NodeProbe> probe = new AtomicReference<>();
        probe.set(push(closers, new NodeProbe(() -> nodes.targets(
                n -> !n.id().equals(self) && cluster.leaderId().filter(n.id()::equals).isPresent()),
                probeEvery, 2, NodeProbe.tcp(), () -> !cluster.leadership().isLeader(),
                () -> probe.get().downNodes().forEach(cluster.membership()::evict), probeStartGrace, System::nanoTime)));
        probe.get().start();
    }

    /** The node agent's targets, as the placement components set them. */
    private static Targets targets(NodeAgent agent) {
        return new Targets() {
            @Override
            public Optional<Integer> target(FunctionId id) {
                return agent.target(id);
            }

            @Override
            public void setTarget(FunctionId id, int instances) {
                agent.setTarget(id, instances);
            }

            @Override
            public void clearTarget(FunctionId id) {
                agent.clearTarget(id);
            }
        };
    }

    private static <T extends AutoCloseable> T push(Deque<AutoCloseable> closers, T c) {
        closers.push(c);
        return c;
    }

    ScalerLoop scaler() {
        return scaler;
    }

    Scheduler scheduler() {
        return scheduler;
    }

    /** The cluster's load as this node sees it (on the leader: every node's reports), for the load routes. */
    ClusterLoad load() {
        return load;
    }

    /** Wakes the scaler for a function that starved on a reporting node. */
    Consumer<FunctionId> wake() {
        return scaler::wake;
    }

    @Override
    public void close() {
        Startup.closeAll(closers);
    }
}
