package dev.nest.it.drivers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import containerd.services.containers.v1.Container;
import dev.nest.spi.Pod;
import dev.nest.spi.PodSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@link DriverSuite} for the {@code containerd} driver against the containerd of
 * {@code distribution/setup-engines.sh}: limits are read from the OCI spec of the container record
 * ({@code Containers.Get}); leftovers are the node's containers, tasks, snapshots and leases in containerd and
 * the rootfs mounts of its pods ({@code findmnt}).
 */
class ContainerdDriverIT extends DriverSuite {
    @Override
    protected String driverName() {
        return "containerd";
    }

    @Override
    protected void requireEngine() {
        ContainerdClient.requireContainerdAndImages("docker.io/nest/runtime-nodejs:latest", "docker.io/nest/runtime-java:latest");
    }

    @Override
    protected Map<String, String> options() {
        return Map.of("address", ContainerdClient.address(), "timeout", "30s");
    }

    @Override
    protected boolean podsSeeOnlyTheirCode() {
        return true;
    }

    @Override
    protected void assertLimits(Pod pod, PodSpec spec) {
        Container c = ContainerdClient.get().containerOfPod(spec.podId());
        assertEquals("io.containerd.runc.v2", c.getRuntime().getName());
        assertEquals("types.containerd.io/opencontainers/runtime-spec/1/Spec", c.getSpec().getTypeUrl());
        assertEquals("nest", c.getLabelsMap().get("dev.nest.owner"));
        assertEquals(nodeId, c.getLabelsMap().get("dev.nest.node"));
        assertEquals("it/driver-suite", c.getLabelsMap().get("dev.nest.function"));
        assertEquals("1", c.getLabelsMap().get("dev.nest.version"));
        JsonNode s = ContainerdClient.get().spec(c);
        JsonNode res = s.path("linux").path("resources");
        assertEquals(spec.memoryBytes(), res.path("memory").path("limit").asLong(), "memory limit");
        assertEquals(spec.memoryBytes(), res.path("memory").path("swap").asLong(), "no swap");
        assertEquals(Math.round(spec.cpus() * 100_000), res.path("cpu").path("quota").asLong(), "CPU quota");
        assertEquals(100_000, res.path("cpu").path("period").asLong());
        assertEquals(spec.pids(), res.path("pids").path("limit").asInt(), "pids limit");
        assertEquals(65534, s.path("process").path("user").path("uid").asInt());
        assertEquals(65534, s.path("process").path("user").path("gid").asInt());
        assertTrue(s.path("process").path("noNewPrivileges").asBoolean(), "no-new-privileges");
        for (String set : List.of("bounding", "effective", "inheritable", "permitted", "ambient")) {
            assertEquals(0, s.path("process").path("capabilities").path(set).size(), "no capabilities in " + set);
        }
        assertTrue(s.path("root").path("readonly").asBoolean(), "read-only root");
        List<String> namespaces = new ArrayList<>();
        s.path("linux").path("namespaces").forEach(n -> namespaces.add(n.path("type").asText()));
        assertFalse(namespaces.contains("network"), "host network: " + namespaces);
        assertTrue(namespaces.contains("pid") && namespaces.contains("mount"), namespaces.toString());
        JsonNode code = null;
        JsonNode tmp = null;
        for (JsonNode m : s.path("mounts")) {
            if (m.path("destination").asText().equals("/nest/code")) {
                code = m;
            } else if (m.path("destination").asText().equals("/tmp")) {
                tmp = m;
            }
        }
        assertTrue(code != null && code.path("options").toString().contains("\"ro\""), "read-only code mount: " + code);
        assertEquals(scratch.resolve("data-" + nodeId + "/containerd/pods/" + c.getId() + "/code").toString(),
                code.path("source").asText(), "the pod's own code directory, not the node's code root " + spec.codeRoot());
        assertTrue(tmp != null && tmp.path("type").asText().equals("tmpfs") && tmp.path("options").toString().contains("size="),
                "size-limited tmpfs /tmp: " + tmp);
        for (String e : List.of("NEST_HOST_PORT=" + spec.port(), "NEST_POD_ID=" + spec.podId())) {
            assertTrue(s.path("process").path("env").toString().contains(e), "env has " + e);
        }
        // the kernel's view: the task's memory cgroup has the limit
        String limit = run(false, "sh", "-c", "cat /sys/fs/cgroup/memory/nest/" + c.getId() + "/memory.limit_in_bytes "
                + "/sys/fs/cgroup/nest/" + c.getId() + "/memory.max 2>/dev/null").trim();
        assertEquals(String.valueOf(spec.memoryBytes()), limit, "the cgroup's memory limit");
    }

    @Override
    protected void killFromOutside(Pod pod) {
        Container c = containerOf(pod);
        ContainerdClient.get().kill(c.getId(), 9);
    }

    private Container containerOf(Pod pod) {
        return ContainerdClient.get().containerOfPod(pod.id());
    }

    @Override
    protected List<String> leftovers(String node) {
        ContainerdClient cd = ContainerdClient.get();
        List<String> out = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (Container c : cd.containersOfNode(node)) {
            out.add("container " + c.getId());
        }
        startedByNode.getOrDefault(node, List.of()).forEach(s -> ids.add("nest-" + s.spec().podId()));
        out.addAll(cd.tasks(ids));
        out.addAll(cd.snapshotsOfNode(node));
        out.addAll(cd.leasesOfNode(node));
        for (String target : nonEmptyLines(run(true, "findmnt", "-rn", "-o", "TARGET"))) {
            for (String id : ids) {
                if (target.contains("/" + id + "/")) {
                    out.add("mount " + target);
                }
            }
        }
        return out;
    }

    @Override
    protected void removeAll(String node) {
        ContainerdClient.get().removeAllOfNode(node);
    }
}
