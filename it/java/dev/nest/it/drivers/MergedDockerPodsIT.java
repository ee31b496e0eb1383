package dev.nest.it.drivers;

import dev.nest.it.Http;
import dev.nest.it.NestServerExtension;
import dev.nest.it.docker.DockerEngines;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Merged Java pods on the docker driver (ADR 0025): three Java functions with {@code deploy: merged} in one namespace
 * share one container of the Java runtime image (its entrypoint with {@code NEST_HOST_MODE=merged}: one class loader
 * and executor per function), each answers, and the container mounts only their code. Node.js merged pods on docker:
 * {@code MergedDockerIT}. Skips loudly without Docker or the image ({@code NEST_REQUIRE_ENGINES=1}: fails).
 */
class MergedDockerPodsIT {
    static final int FUNCTIONS = 3;

    @RegisterExtension
    static final NestServerExtension node = NestServerExtension.node()
            .requires(DockerEngines::requireDocker)
            .requires(() -> DockerEngines.requireImages(DockerEngines.JAVA_IMAGE))
            .settings("sidecar:\n  driver: docker\n  start-timeout: 60s\n")
            .functions(f -> MergedPodsCheck.javaFunctions(f, "dj", "jm", FUNCTIONS));
    static final Http http = node.http();

    @Test
    void javaFunctionsShareOneMergedContainerThatMountsOnlyTheirCode() {
        MergedPodsCheck.everyFunctionAnswersFromOneMergedPod(http, "dj", "jm", FUNCTIONS);
    }
}
