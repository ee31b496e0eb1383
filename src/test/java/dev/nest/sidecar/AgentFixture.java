package dev.nest.sidecar;

import dev.nest.config.NestConfig;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionSpec;
import dev.nest.function.FunctionVersion;
import dev.nest.function.InMemoryCatalog;
import dev.nest.function.QueueSpec;
import dev.nest.function.ScalingSpec;
import dev.nest.pool.PoolStatus;
import dev.nest.runtime.RuntimeRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A node agent on runtime {@code fake} (128 MiB) with a {@link FakeSandboxDriver}, free ports, an
 * {@link InMemoryCatalog} and a {@link FakeNanoClock}. Warm pool starts run on the caller's thread, so that
 * {@code pool().maintain()} returns with the pool filled. The agent is never started: tests call
 * {@link NodeAgent#reconcile} themselves.
 */
final class AgentFixture implements AutoCloseable {
    /** A bound so a broken test fails instead of hanging; never a timing assertion. */
    static final long BOUND_S = 5;
    static final FunctionId FN = FunctionId.of("default", "fn");

    final FakeSandboxDriver driver = new FakeSandboxDriver();
    final InMemoryCatalog catalog = new InMemoryCatalog();
    final FakeNanoClock nanos = new FakeNanoClock();
    private final Path dir;
    private NodeAgent agent;

    /** An agent without a pool, 16 pods at most and the default previous-version keep-alive. */
    AgentFixture(Path dir) {
        this.dir = dir;
        agent(0, 16, NestConfig.Sidecar.DEFAULT_PREVIOUS_KEEP_ALIVE);
    }

    NodeAgent agent() {
        return agent;
    }

    /** Replaces the agent with one whose pool keeps {@code poolSize} pods. */
    NodeAgent agent(int poolSize, int maxPods, Duration previousKeepAlive) {
        if (agent != null) {
            agent.close();
        }
        Path code = dir.resolve("code");
        try {
            Files.createDirectories(code);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        agent = new NodeAgent(config(poolSize, maxPods, previousKeepAlive), "node-1", dir, code, driver, runtimes(),
                (digest, runtime) -> Optional.of(new CodeDir(code, Map.of())), line -> { }, catalog,
                Clock.systemUTC(), nanos, new FreePorts(), Runnable::run);
        return agent;
    }

    /** The node's pods with at most {@code maxPods}, on the fixture's driver, without an agent. */
    NodePods pods(int maxPods) {
        return pods(maxPods, new FreePorts());
    }

    /** The node's pods with at most {@code maxPods}, their ports from {@code ports}, without an agent. */
    NodePods pods(int maxPods, Ports ports) {
        return new NodePods(config(0, maxPods, Duration.ZERO), "node-1", dir, dir.resolve("code"), driver, runtimes(),
                ports, new LogCapture(line -> { }, Clock.systemUTC()), nanos);
    }

    private static NestConfig.Sidecar config(int poolSize, int maxPods, Duration previousKeepAlive) {
        // no port range: ports come from FreePorts
        return new NestConfig.Sidecar("fake", 0, 0, Duration.ofSeconds(BOUND_S), maxPods, Duration.ZERO, Map.of(),
                new NestConfig.Pool(Map.of("fake", poolSize), Duration.ofMinutes(10)), previousKeepAlive);
    }

    /** One runtime, {@code fake}, of 128 MiB. */
    private RuntimeRegistry runtimes() {
        try {
            Path runtimes = dir.resolve("runtimes");
            Files.createDirectories(runtimes.resolve("fake"));
            Files.writeString(runtimes.resolve("fake/runtime.yaml"),
                    "name: fake\nlaunch: [\"${runtimeDir}/host\"]\nmemory: 128\n");
            return RuntimeRegistry.load(runtimes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static FunctionSpec spec(int max) {
        return spec(max, 128);
    }

    static FunctionSpec spec(int max, int memoryMb) {
        return new FunctionSpec(FN, "fake", "", memoryMb, Duration.ofSeconds(30), 1, Map.of(),
                new ScalingSpec(0, max, Duration.ofMinutes(10)), new QueueSpec(10, Duration.ofSeconds(BOUND_S)));
    }

    /** Version 1 of {@code fn} with {@code scaling.max} 1 and 128 MiB, not in the catalog. */
    static FunctionVersion version() {
        return version(spec(1));
    }

    static FunctionVersion version(FunctionSpec spec) {
        return new FunctionVersion(1, "sha256:" + "a".repeat(64), spec, Instant.EPOCH, "api");
    }

    /** Deploys {@code fn} with {@code scaling.max} {@code max} into the catalog; returns its live version. */
    FunctionVersion deployed(int max) {
        FunctionSpec spec = spec(max);
        FunctionRecord r = FunctionRecord.empty(spec.id(), "api", Instant.EPOCH)
                .withNewVersion("sha256:" + "b".repeat(64), spec, "api", Instant.EPOCH, true);
        catalog.put(r);
        return r.liveVersion().orElseThrow();
    }

    /** Deploys a new live version of {@code fn}, with the same spec and other code. */
    void redeployed() {
        FunctionRecord r = catalog.get(FN).orElseThrow();
        catalog.put(r.withNewVersion("sha256:" + "c".repeat(64), r.liveVersion().orElseThrow().spec(), "api",
                Instant.EPOCH, true));
    }

    /** Makes the previous version of {@code fn} live again. */
    void rolledBack() {
        catalog.put(catalog.get(FN).orElseThrow().rolledBack(Optional.empty(), Instant.EPOCH));
    }

    /** A deadline {@link #BOUND_S} from now, in the agent's time. */
    long deadline() {
        return nanos.getAsLong() + TimeUnit.SECONDS.toNanos(BOUND_S);
    }

    Lease lease(FunctionVersion v) {
        return agent.acquire(v, deadline());
    }

    /** Takes {@code n} leases at once; each is on its own instance when concurrency is 1. */
    List<Lease> leases(FunctionVersion v, int n) throws Exception {
        List<Pending> pending = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            pending.add(agent.acquireAsync(v, deadline()));
        }
        List<Lease> out = new ArrayList<>();
        for (Pending p : pending) {
            out.add(p.now().isPresent() ? p.now().get() : p.later().get(BOUND_S, TimeUnit.SECONDS));
        }
        return out;
    }

    FunctionLoad load() {
        return agent.load().get(FN);
    }

    PoolStatus poolStatus() {
        return agent.pool().status().getFirst();
    }

    @Override
    public void close() {
        agent.close();
    }
}
