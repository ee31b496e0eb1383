package dev.nest.it.security;

import dev.nest.it.Engines;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hostile function ({@link HostileFunction}) in a containerd pod (host network, new pid, ipc and mount
 * namespaces, uid 65534, read-only root, its own code versions mounted read-only at {@code /nest/code}): the same attacks
 * as {@link DockerHostileFunctionIT}, with the same expectations. The driver must report itself healthy in the
 * node's {@code /health} (else the test is skipped, or fails with {@value Engines#STRICT_ENV}=1); closing the node
 * removes its containers.
 */
class ContainerdHostileFunctionIT {
    @TempDir
    static Path scratch;
    static ContainerAttack node;

    @BeforeAll
    static void start() {
        Engines.requireContainerd(address -> true);
        node = new ContainerAttack(scratch, "containerd",
                "    containerd:\n      address: \"" + Engines.containerdAddress() + "\"\n", 38_000);
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void everyAttackOfAHostileFunctionInAContainerdPodFails() {
        node.attack();
    }
}
