package dev.nest.sidecar;

import dev.nest.spi.PodListener;
import dev.nest.store.LogLine;
import java.time.Clock;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Turns what pods write into {@link LogLine}s. A line the runtime host framed (see {@link LogFraming}) keeps its
 * invocation, instance and level; any other line is attributed to the instance running in the pod (none for a pool
 * pod not taken yet: empty function, version 0) at level {@code info} (stdout) or {@code error} (stderr). Each
 * pod's last lines are also kept in its {@link RecentOutput} for start errors.
 *
 * <p>An instance is attributed from before its pod starts (so that its first lines are) until it stops; the
 * instances attributed are therefore every instance that is not stopped, which the node agent stops on close.
 *
 * <p>Threads: the drivers' output threads call the listeners; the attribution map is concurrent. The log sink must
 * not block for long: it holds up the pod's output.
 */
final class LogCapture {
    private final Consumer<LogLine> logs;
    private final Clock clock;
    private final Map<String, Instance> byPod = new ConcurrentHashMap<>();
    /** Instances of merged pods, by instance id: a merged pod's framed lines name the instance they belong to. */
    private final Map<String, Instance> byInstance = new ConcurrentHashMap<>();

    /**
     * @param logs  receives every line
     * @param clock stamps the lines
     */
    LogCapture(Consumer<LogLine> logs, Clock clock) {
        this.logs = logs;
        this.clock = clock;
    }

    /** The listener for a pod being started: keeps its last lines in {@code recent} and forwards each line. */
    PodListener listener(RecentOutput recent) {
        return (podId, stderr, line) -> {
            recent.add(line);
            onLine(podId, stderr, line);
        };
    }

    /** Lines of pod {@code podId} belong to {@code instance} from now on. */
    void attribute(String podId, Instance instance) {
        byPod.put(podId, instance);
    }

    /** Framed lines that name {@code instance} belong to it from now on (an instance in a merged pod). */
    void attributeInstance(Instance instance) {
        byInstance.put(instance.id(), instance);
    }

    /** {@code instance} stopped: forget its pods (the one it ran in, and any whose start was repeated on another port). */
    void forget(Instance instance) {
        byPod.values().removeIf(i -> i == instance);
        byInstance.remove(instance.id(), instance);
    }

    /** Every instance attributed now (starting, ready or stopping), once each. */
    Collection<Instance> instances() {
        return java.util.stream.Stream.concat(byPod.values().stream(), byInstance.values().stream()).distinct().toList();
    }

    /** Records, in the function's log, that a ready instance's pod exited by itself. */
    void exitedUnexpectedly(Instance instance, int code) {
        logs.accept(new LogLine(clock.instant(), instance.version().spec().id().toString(), instance.version().version(),
                "", instance.id(), "error", "instance exited unexpectedly with code " + code));
    }

    private void onLine(String podId, boolean stderr, String line) {
        Instance inst = byPod.get(podId);
        String fn = inst == null ? "" : inst.version().spec().id().toString();
        int version = inst == null ? 0 : inst.version().version();
        Optional<LogFraming.Framed> f = LogFraming.parse(line);
        if (f.isPresent() && inst == null) {
            Instance named = byInstance.get(f.get().instanceId());
            if (named != null) {
                fn = named.version().spec().id().toString();
                version = named.version().version();
            }
        }
        if (f.isPresent()) {
            logs.accept(new LogLine(clock.instant(), fn, version, f.get().invocationId(), f.get().instanceId(),
                    f.get().level(), f.get().text()));
        } else {
            logs.accept(new LogLine(clock.instant(), fn, version, "", podId, stderr ? "error" : "info", line));
        }
    }
}
