package dev.nest.host;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a merged Java host reports about each instance it holds (runtimes/CONTRACT.md, "Merged pods"): the same
 * per-instance figures on {@code GET /health} and {@code GET /status}, read by the node agent into each instance's
 * CPU and allocation. {@code cpuMs} is the CPU time of the instance's own threads ({@link FunctionThreads}), including
 * invocations still running (a runaway's keeps growing); {@code allocatedBytes} the bytes those threads allocated.
 * Both are cumulative since the load and are left out when the JVM cannot measure them.
 */
final class MergedStatus {
    private MergedStatus() {
    }

    /** One entry per instance, in the order given. */
    static List<Object> instances(Collection<Instance> instances) {
        List<Object> list = new ArrayList<>(instances.size());
        for (Instance s : instances) {
            Map<String, Object> m = new LinkedHashMap<>(12);
            m.put("id", s.id);
            m.put("function", s.function);
            m.put("version", s.version);
            m.put("memoryMb", s.memoryMb);
            m.put("inFlight", s.inFlight());
            m.put("healthy", s.unhealthy().isEmpty());
            s.unhealthy().ifPresent(why -> m.put("unhealthy", why));
            FunctionThreads t = s.threads;
            if (t != null) {
                m.put("threadsBusy", t.busy());
                if (t.measured()) {
                    FunctionThreads.Usage u = t.usage();
                    m.put("cpuMs", Math.round(u.cpuNanos() / 1000.0) / 1000.0);
                    m.put("allocatedBytes", u.allocatedBytes());
                }
            }
            list.add(m);
        }
        return list;
    }

    /** The {@code /status} body: the process's own figures and {@link #instances}. */
    static Map<String, Object> status(long pid, long rssBytes, Collection<Instance> instances) {
        Map<String, Object> m = new LinkedHashMap<>(8);
        m.put("merged", true);
        m.put("runtime", "java");
        m.put("pid", pid);
        m.put("rssBytes", rssBytes);
        Runtime rt = Runtime.getRuntime();
        m.put("heapUsedBytes", rt.totalMemory() - rt.freeMemory());
        m.put("heapLimitBytes", rt.maxMemory());
        ProcessHandle.current().info().totalCpuDuration()
                .ifPresent(d -> m.put("cpuMs", Math.round(d.toNanos() / 1000.0) / 1000.0));
        m.put("instances", instances(instances));
        return m;
    }
}
