package dev.nest.it.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.it.Fixtures;
import dev.nest.it.Http;
import dev.nest.it.NestServerExtension;
import dev.nest.it.Poll;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Merged pods on the docker driver (ADR 0025): 20 Node.js functions with {@code deploy: merged} share two containers
 * of the runtime image (16 functions per merged pod), every one answers, and each container's {@code /nest/code}
 * holds only the code of the functions loaded into it. The image must carry the merged host
 * ({@code distribution/images/build.sh}); {@code NEST_IT_NODEJS_IMAGE} names another image to use.
 */
class MergedDockerIT {
    static final int FUNCTIONS = 20;
    static final String IMAGE = Optional.ofNullable(System.getenv("NEST_IT_NODEJS_IMAGE")).filter(s -> !s.isBlank())
            .orElse(DockerEngines.NODEJS_IMAGE);

    @RegisterExtension
    static final NestServerExtension node = NestServerExtension.node()
            .requires(DockerEngines::requireDocker)
            .requires(() -> DockerEngines.requireImages(IMAGE))
            .settings("sidecar:\n  driver: docker\n  drivers:\n    docker:\n      image.nodejs: " + IMAGE + "\n")
            .functions(MergedDockerIT::writeFunctions);
    static final Http http = node.http();

    static void writeFunctions(Path functions) {
        for (int k = 0; k < FUNCTIONS; k++) {
            // different code per function, so that each has its own package and code directory
            Fixtures.nodeFunction(functions, name(k), "deploy: merged\nmemory: 64\n", """
                    const fs = require('fs');
                    exports.handler = async (event, context) => ({
                      name: context.functionName, me: '%s', code: fs.readdirSync('/nest/code'),
                    });
                    """.formatted(name(k)));
        }
    }

    static String name(int k) {
        return "m%02d".formatted(k);
    }

    @Test
    void mergedFunctionsShareContainersThatMountOnlyTheirOwnCode() {
        Poll.until("functions deployed", Duration.ofMinutes(2),
                () -> http.get("/api/v1/functions/" + name(FUNCTIONS - 1)).status(), s -> s == 200);
        for (int k = 0; k < FUNCTIONS; k++) {
            Http.Response r = http.get("/fn/" + name(k));
            assertEquals(200, r.status(), r::toString);
            assertEquals("default/" + name(k), r.json().path("name").asText());
            int views = r.json().path("code").size();
            assertTrue(views >= 1 && views <= 16, "a merged container sees the code of its own functions only: " + r);
        }
        Set<String> pods = new HashSet<>();
        for (JsonNode i : http.get("/api/v1/instances").json()) {
            assertTrue(i.path("merged").asBoolean(), i::toString);
            pods.add(i.path("hostPod").asText());
        }
        assertEquals(2, pods.size(), "20 functions, 16 per merged pod: " + pods);
    }
}
