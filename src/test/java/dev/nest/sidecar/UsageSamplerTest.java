package dev.nest.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.function.FunctionId;
import dev.nest.function.FunctionSpec;
import dev.nest.function.FunctionVersion;
import dev.nest.function.QueueSpec;
import dev.nest.function.ScalingSpec;
import dev.nest.spi.Pod;
import dev.nest.spi.PodUsage;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class UsageSamplerTest {
    private static final long S = 1_000_000_000L;
    private static final long MIB = 1024 * 1024;

    /** A pod that is only an id: the sampler hands it to the reader and nothing else. */
    private record FakePod(String id) implements Pod {
        @Override
        public CompletableFuture<Integer> exited() {
            return new CompletableFuture<>();
        }

        @Override
        public void stop(Duration grace) {
        }

        @Override
        public String describe() {
            return id;
        }
    }

    private final Map<String, Optional<PodUsage>> readings = new HashMap<>();
    private long now;
    private final UsageSampler sampler = new UsageSampler(p -> {
        if (p.id().equals("broken")) {
            throw new IllegalStateException("a driver that throws");
        }
        return readings.getOrDefault(p.id(), Optional.empty());
    }, () -> now);

    private static InstanceSet set() {
        FunctionSpec spec = new FunctionSpec(FunctionId.of("default", "fn"), "nodejs", "", 128, Duration.ofSeconds(30),
                1, Map.of(), new ScalingSpec(0, 10, Duration.ofMinutes(10)), new QueueSpec(10, Duration.ofSeconds(30)));
        return new InstanceSet(new FunctionVersion(1, "sha256:" + "a".repeat(64), spec, Instant.EPOCH, "api"));
    }

    private static Instance ready(InstanceSet set, String podId) {
        Instance i = new Instance("i-" + podId, set.version(), 0);
        i.attach(new FakePod(podId), null, 0);
        i.moveTo(InstanceState.LOADING);
        i.moveTo(InstanceState.READY);
        set.ready(i, 0);
        return i;
    }

    @Test
    void cpuIsTheGrowthOfCpuTimeOverWallTimeAndBothInstancesAreSummed() {
        InstanceSet set = set();
        Instance a = ready(set, "a");
        Instance b = ready(set, "b");
        readings.put("a", Optional.of(new PodUsage(10 * S, 100 * MIB)));
        readings.put("b", Optional.of(new PodUsage(0, 50 * MIB)));
        sampler.sample(set.instances());
        assertTrue(Double.isNaN(a.cpuCores()), "one reading gives no rate yet");
        assertEquals(100 * MIB, a.memoryBytes());
        assertEquals(0, set.load().measured(), "an instance counts once both are known");

        now += 2 * S;
        readings.put("a", Optional.of(new PodUsage(11 * S, 120 * MIB)));
        readings.put("b", Optional.of(new PodUsage(3 * S, 60 * MIB)));
        sampler.sample(set.instances());
        assertEquals(0.5, a.cpuCores(), 1e-9);
        assertEquals(1.5, b.cpuCores(), 1e-9);
        FunctionLoad l = set.load();
        assertEquals(2, l.measured());
        assertEquals(2.0, l.cpu(), 1e-9);
        assertEquals(180.0, l.memoryMb(), 1e-9);
    }

    @Test
    void aFailedReadingOrACounterThatWentBackLeavesTheInstanceUnmeasured() {
        InstanceSet set = set();
        Instance a = ready(set, "a");
        Instance b = ready(set, "broken");
        readings.put("a", Optional.of(new PodUsage(5 * S, MIB)));
        sampler.sample(List.of(b, a));
        now += S;
        readings.put("a", Optional.of(new PodUsage(6 * S, MIB)));
        sampler.sample(List.of(b, a));
        assertEquals(1.0, a.cpuCores(), 1e-9, "a driver that throws for one pod does not stop the others");
        assertTrue(Double.isNaN(b.cpuCores()));
        assertEquals(-1, b.memoryBytes());
        assertEquals(1, set.load().measured());

        now += S;
        readings.put("a", Optional.of(new PodUsage(2 * S, MIB))); // a forked process exited with its time
        sampler.sample(List.of(a));
        assertTrue(Double.isNaN(a.cpuCores()), "never a negative rate");
        now += S;
        readings.put("a", Optional.of(new PodUsage(2 * S + S / 4, MIB)));
        sampler.sample(List.of(a));
        assertEquals(0.25, a.cpuCores(), 1e-9, "the rate starts afresh");

        readings.put("a", Optional.empty());
        sampler.sample(List.of(a));
        assertTrue(Double.isNaN(a.cpuCores()));
        assertEquals(-1, a.memoryBytes());
        FunctionLoad l = set.load();
        assertEquals(List.of(0, 0.0, 0.0), List.of(l.measured(), l.cpu(), l.memoryMb()), "nothing measured");
    }
}
