package dev.nest.it.security;

import dev.nest.it.docker.DockerEngines;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hostile function ({@link HostileFunction}) in a Docker pod (host networking, own pid namespace, uid 65534,
 * read-only root, its own code versions mounted read-only at {@code /nest/code}): it tries to read Nest's data directory
 * and admin token, another function's code, secrets of other pods in {@code /proc}, to load its code into another
 * pod, to call the admin API and the peer routes without credentials, to read and write the embedded ZooKeeper's
 * znodes, and to see and signal Nest. Every attempt must fail.
 */
class DockerHostileFunctionIT {
    @TempDir
    static Path scratch;
    static ContainerAttack node;

    @BeforeAll
    static void start() {
        DockerEngines.requireDocker();
        DockerEngines.requireImages(DockerEngines.NODEJS_IMAGE);
        node = new ContainerAttack(scratch, "docker", "    docker:\n      host: \"" + DockerEngines.host() + "\"\n", 37_000);
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
            for (var c : DockerEngines.containers(Map.of("dev.nest.owner", "nest", "dev.nest.node", node.nodeId))) {
                try {
                    DockerEngines.client().removeContainerCmd(c.getId()).withForce(true).exec();
                } catch (RuntimeException ignored) {
                    // gone already
                }
            }
        }
    }

    @Test
    void everyAttackOfAHostileFunctionInADockerPodFails() {
        node.attack();
    }
}
