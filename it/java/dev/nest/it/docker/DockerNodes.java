package dev.nest.it.docker;

import com.github.dockerjava.api.model.Container;
import dev.nest.NestServer;
import dev.nest.config.NestConfig;
import dev.nest.it.Fixtures;
import dev.nest.it.Http;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

/** In-process nodes with the docker driver, deploys through the admin API, and cleanup by label. */
final class DockerNodes {
    private DockerNodes() {
    }

    /**
     * Starts a node {@code id} with {@code sidecar.driver: docker}, its config written as nest.yaml under
     * {@code scratch}; {@code options} go under {@code sidecar.drivers.docker}.
     */
    static NestServer start(Path scratch, String id, Map<String, String> options) {
        StringBuilder yaml = new StringBuilder("""
                node:
                  id: %s
                sidecar:
                  driver: docker
                  start-timeout: 60s
                  stop-grace: 2s
                  drivers:
                    docker:
                      host: %s
                """.formatted(id, DockerEngines.host()));
        options.forEach((k, v) -> yaml.append("      ").append(k).append(": \"").append(v).append("\"\n"));
        Path file = Fixtures.write(scratch, id + "-" + UUID.randomUUID() + ".yaml", yaml.toString());
        try {
            return Fixtures.startNode(NestConfig.load(file), Files.createDirectories(scratch.resolve(id + "-data")),
                    Files.createDirectories(scratch.resolve(id + "-functions")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The labels every container of node {@code id} carries. */
    static Map<String, String> labels(String id) {
        return Map.of("dev.nest.owner", "nest", "dev.nest.node", id);
    }

    /** Removes every container of node {@code id} (test cleanup; best effort). */
    static void removeAll(String id) {
        for (Container c : DockerEngines.containers(labels(id))) {
            try {
                DockerEngines.client().removeContainerCmd(c.getId()).withForce(true).exec();
            } catch (RuntimeException ignored) {
                // gone already
            }
        }
    }

    /** Uploads {@code files} and deploys them as the next version of {@code name}. */
    static void deploy(Http http, Path scratch, String name, String runtime, String handler, int memoryMb,
                       Map<String, String> files) {
        http.deploy(name, Map.of("runtime", runtime, "deploy", "dedicated", "handler", handler, "memory", memoryMb, "timeout", "20s"),
                Fixtures.zip(scratch, files));
    }
}
