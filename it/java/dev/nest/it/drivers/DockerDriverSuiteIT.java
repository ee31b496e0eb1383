package dev.nest.it.drivers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.HostConfig;
import dev.nest.it.docker.DockerEngines;
import dev.nest.spi.Pod;
import dev.nest.spi.PodSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * {@link DriverSuite} for the {@code docker} driver against the engine of {@code distribution/setup-engines.sh}:
 * limits are read from the engine's inspection of the container; leftovers are the node's containers.
 */
class DockerDriverSuiteIT extends DriverSuite {
    @Override
    protected String driverName() {
        return "docker";
    }

    @Override
    protected void requireEngine() {
        DockerEngines.requireDocker();
        DockerEngines.requireImages(DockerEngines.NODEJS_IMAGE, DockerEngines.JAVA_IMAGE);
    }

    @Override
    protected Map<String, String> options() {
        return Map.of("host", DockerEngines.host());
    }

    @Override
    protected boolean podsSeeOnlyTheirCode() {
        return true;
    }

    private InspectContainerResponse inspect(String podId) {
        List<Container> c = DockerEngines.containers(Map.of("dev.nest.pod", podId));
        assertEquals(1, c.size(), "one container of pod " + podId);
        return DockerEngines.client().inspectContainerCmd(c.getFirst().getId()).exec();
    }

    @Override
    protected void assertLimits(Pod pod, PodSpec spec) {
        InspectContainerResponse i = inspect(spec.podId());
        HostConfig h = i.getHostConfig();
        assertEquals(spec.memoryBytes(), h.getMemory(), "memory limit");
        assertEquals(spec.memoryBytes(), h.getMemorySwap(), "no swap");
        assertEquals(Math.round(spec.cpus() * 1e9), h.getNanoCPUs(), "CPU quota");
        assertEquals(spec.pids(), h.getPidsLimit().intValue(), "pids limit");
        assertTrue(h.getReadonlyRootfs(), "read-only root");
        assertTrue(Arrays.asList(h.getCapDrop()).contains(Capability.ALL), "all capabilities dropped");
        assertTrue(h.getSecurityOpts().contains("no-new-privileges"), "no-new-privileges");
        assertEquals("host", h.getNetworkMode(), "host network");
        assertEquals("65534:65534", i.getConfig().getUser());
        assertTrue(i.getMounts().stream().anyMatch(m -> "/nest/code".equals(m.getDestination().getPath())
                && Boolean.FALSE.equals(m.getRW())), "read-only code mount: " + i.getMounts());
        String source = i.getMounts().stream().filter(m -> "/nest/code".equals(m.getDestination().getPath())).findFirst()
                .orElseThrow().getSource();
        assertEquals(scratch.resolve("data-" + nodeId + "/docker/pods/nest-" + spec.podId() + "/code").toString(), source,
                "the pod's own code directory, not the node's code root " + spec.codeRoot());
        assertEquals(nodeId, i.getConfig().getLabels().get("dev.nest.node"));
    }

    @Override
    protected void killFromOutside(Pod pod) {
        for (Container c : DockerEngines.containers(Map.of("dev.nest.pod", pod.id()))) {
            DockerEngines.client().killContainerCmd(c.getId()).withSignal("SIGKILL").exec();
        }
    }

    @Override
    protected List<String> leftovers(String node) {
        List<String> out = new ArrayList<>();
        for (Container c : DockerEngines.containers(Map.of("dev.nest.owner", "nest", "dev.nest.node", node))) {
            out.add("container " + c.getId().substring(0, 12) + " " + Arrays.toString(c.getNames()) + " " + c.getState());
        }
        return out;
    }

    @Override
    protected void removeAll(String node) {
        for (Container c : DockerEngines.containers(Map.of("dev.nest.owner", "nest", "dev.nest.node", node))) {
            try {
                DockerEngines.client().removeContainerCmd(c.getId()).withForce(true).exec();
            } catch (RuntimeException ignored) {
                // gone already
            }
        }
    }
}
