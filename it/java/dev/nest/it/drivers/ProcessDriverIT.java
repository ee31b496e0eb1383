package dev.nest.it.drivers;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.spi.Pod;
import dev.nest.spi.PodSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@link DriverSuite} for the {@code process} driver: pods are child processes, so there is no engine record
 * of limits or hardening to read (those checks are skipped with a message); leftovers are the host processes
 * of the node's pods that are still alive.
 */
class ProcessDriverIT extends DriverSuite {
    @Override
    protected String driverName() {
        return "process";
    }

    @Override
    protected void requireEngine() {
        // child processes only: Node.js (checked by the suite) and the JDK running the tests
    }

    @Override
    protected void assertLimits(Pod pod, PodSpec spec) {
        System.err.println("*** process driver: pods are plain child processes with no engine-enforced limits or "
                + "hardening; the limit assertions do not apply and are skipped ***");
    }

    @Override
    protected void assertContained(JsonNode r) {
        System.err.println("*** process driver: the host runs as this user on this file system; the containment "
                + "assertions (uid, read-only root and code) do not apply ***");
    }

    @Override
    protected void killFromOutside(Pod pod) {
        handle(pod).orElseThrow(() -> new AssertionError("no process for " + pod.describe())).destroyForcibly();
    }

    private static Optional<ProcessHandle> handle(Pod pod) {
        String d = pod.describe();
        return d.startsWith("pid ") ? ProcessHandle.of(Long.parseLong(d.substring(4).trim().split("\\s+")[0])) : Optional.empty();
    }

    @Override
    protected List<String> leftovers(String node) {
        List<String> out = new ArrayList<>();
        for (Started s : startedByNode.getOrDefault(node, List.of())) {
            handle(s.pod()).filter(ProcessHandle::isAlive).ifPresent(h -> out.add("process " + h.pid() + " of pod " + s.spec().podId()));
        }
        return out;
    }

    @Override
    protected void removeAll(String node) {
        for (Started s : startedByNode.getOrDefault(node, List.of())) {
            handle(s.pod()).ifPresent(ProcessHandle::destroyForcibly);
        }
    }
}
