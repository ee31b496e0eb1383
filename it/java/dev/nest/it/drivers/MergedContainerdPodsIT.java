package dev.nest.it.drivers;

import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.nest.it.Http;
import dev.nest.it.NestServerExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Merged pods on the containerd driver (ADR 0025): three Java functions with {@code deploy: merged} share one
 * container of the Java runtime image, three Node.js functions one of the Node.js image (a worker thread each), each
 * function answers, and each container mounts only the code of the functions it hosts. Skips loudly without
 * containerd or the images ({@code NEST_REQUIRE_ENGINES=1}: fails).
 */
class MergedContainerdPodsIT {
    static final int FUNCTIONS = 3;
    static final String NODE_ID = "it-ctrd-merged-" + java.util.UUID.randomUUID().toString().substring(0, 8);

    @RegisterExtension
    static final NestServerExtension node = NestServerExtension.node()
            .requires(() -> ContainerdClient.requireContainerdAndImages("docker.io/nest/runtime-java:latest",
                    "docker.io/nest/runtime-nodejs:latest"))
            .settings("""
                    node:
                      id: %s
                    sidecar:
                      driver: containerd
                      start-timeout: 60s
                      stop-grace: 2s
                      drivers:
                        containerd:
                          address: "%s"
                    """.formatted(NODE_ID, ContainerdClient.address()))
            .functions(f -> {
                MergedPodsCheck.javaFunctions(f, "cj", "jm", FUNCTIONS);
                MergedPodsCheck.nodeFunctions(f, "cn", "nm", FUNCTIONS);
            });
    static final Http http = node.http();

    @AfterAll
    static void removeLeftovers() {
        node.close();
        try {
            ContainerdClient.get().removeAllOfNode(NODE_ID);
        } catch (RuntimeException e) {
            // containerd not here: the requirement skipped the class
        }
    }

    @Test
    void javaAndNodeFunctionsShareMergedContainersThatMountOnlyTheirCode() {
        String java = MergedPodsCheck.everyFunctionAnswersFromOneMergedPod(http, "cj", "jm", FUNCTIONS);
        String nodejs = MergedPodsCheck.everyFunctionAnswersFromOneMergedPod(http, "cn", "nm", FUNCTIONS);
        assertNotEquals(java, nodejs, "each runtime and namespace has merged pods of its own");
    }
}
