package dev.nest.it;

import dev.nest.spi.DriverContext;
import dev.nest.spi.DriverHealth;
import dev.nest.spi.Pod;
import dev.nest.spi.PodListener;
import dev.nest.spi.PodSpec;
import dev.nest.spi.PodUsage;
import dev.nest.spi.SandboxDriver;
import dev.nest.spi.SandboxDriverProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test driver, {@code sidecar.driver: squatting}: the {@code process} driver with another process's part played
 * in between. The first {@code squat} pod starts of each runtime (option {@code sidecar.drivers.squatting.squat},
 * default 2) find their port taken: the driver binds and listens on the port the node agent's allocator just handed
 * out, and only then launches the host, as another program (or another Nest node on the machine) could between the
 * allocator's check and the host's bind. The squatted ports stay taken until the driver closes; {@link #squatted}
 * lists them for the test. Registered for {@link ServiceLoader} by {@code src/test/resources}, so only test class
 * paths have it.
 */
public final class SquattingDriverProvider implements SandboxDriverProvider {
    /** Every port squatted by a driver of this class path, by runtime, in order. */
    private static final Map<String, List<Integer>> SQUATTED = new ConcurrentHashMap<>();

    /** The ports squatted for pods of {@code runtime}, in order. */
    public static List<Integer> squatted(String runtime) {
        return List.copyOf(SQUATTED.getOrDefault(runtime, List.of()));
    }

    @Override
    public String name() {
        return "squatting";
    }

    @Override
    public SandboxDriver create(DriverContext context) {
        SandboxDriverProvider process = ServiceLoader.load(SandboxDriverProvider.class).stream()
                .map(ServiceLoader.Provider::get).filter(p -> p.name().equals("process")).findFirst().orElseThrow();
        int squat = Integer.parseInt(context.options().getOrDefault("squat", "2"));
        DriverContext inner = new DriverContext(context.nodeId(), context.dataDir(), Map.of());
        return new Squatting(process.create(inner), squat);
    }

    private static final class Squatting implements SandboxDriver {
        private final SandboxDriver inner;
        private final int squat;
        private final Map<String, AtomicInteger> startsByRuntime = new ConcurrentHashMap<>();
        private final List<ServerSocket> held = new CopyOnWriteArrayList<>();

        Squatting(SandboxDriver inner, int squat) {
            this.inner = inner;
            this.squat = squat;
        }

        @Override
        public String name() {
            return "squatting";
        }

        @Override
        public Pod start(PodSpec spec, PodListener listener) {
            if (startsByRuntime.computeIfAbsent(spec.runtime(), r -> new AtomicInteger()).incrementAndGet() <= squat) {
                try {
                    held.add(new ServerSocket(spec.port(), 50, InetAddress.getByName(spec.address())));
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot squat port " + spec.port(), e);
                }
                SQUATTED.computeIfAbsent(spec.runtime(), r -> new CopyOnWriteArrayList<>()).add(spec.port());
            }
            return inner.start(spec, listener);
        }

        @Override
        public DriverHealth health() {
            return inner.health();
        }

        @Override
        public int removeOrphans(String nodeId) {
            return inner.removeOrphans(nodeId);
        }

        @Override
        public Optional<PodUsage> usage(Pod pod) {
            return inner.usage(pod);
        }

        @Override
        public String pathInPod(PodSpec spec, Path hostPath) {
            return inner.pathInPod(spec, hostPath);
        }

        @Override
        public void close() {
            inner.close();
            for (ServerSocket s : held) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing a listening socket of this process
                }
            }
        }
    }
}
