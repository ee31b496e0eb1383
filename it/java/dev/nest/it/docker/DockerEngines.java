package dev.nest.it.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import dev.nest.it.Engines;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The Docker engine for the docker integration tests: {@link #requireDocker()} and {@link #requireImages}
 * follow {@link Engines} (fail with {@code NEST_REQUIRE_ENGINES=1}, skip loudly otherwise), and
 * {@link #client()} is a docker-java client on the same engine for reading the engine's view of containers.
 *
 * <p>The engine is {@code unix:///var/run/docker.sock} unless {@code NEST_DOCKER_HOST} names another.
 * {@code distribution/setup-engines.sh} starts it and builds the images.
 */
public final class DockerEngines {
    public static final String NODEJS_IMAGE = "nest/runtime-nodejs:latest";
    public static final String JAVA_IMAGE = "nest/runtime-java:latest";
    private static final String SETUP = "start dockerd and build the runtime images: distribution/setup-engines.sh (as root)";
    private static DockerClient client;

    private DockerEngines() {
    }

    /** The engine's endpoint ({@code NEST_DOCKER_HOST}, default {@code unix:///var/run/docker.sock}). */
    public static String host() {
        return Optional.ofNullable(System.getenv("NEST_DOCKER_HOST")).filter(s -> !s.isBlank())
                .orElse("unix:///var/run/docker.sock");
    }

    /** A client on {@link #host()}, shared by the tests of this JVM. */
    public static synchronized DockerClient client() {
        if (client == null) {
            DefaultDockerClientConfig config = new DefaultDockerClientConfig.Builder().withDockerHost(host())
                    .withDockerTlsVerify(false).build();
            client = DockerClientImpl.getInstance(config, new ZerodepDockerHttpClient.Builder()
                    .dockerHost(config.getDockerHost()).connectionTimeout(Duration.ofSeconds(5))
                    .responseTimeout(Duration.ofSeconds(60)).build());
        }
        return client;
    }

    /** The engine answers a ping within 5 s. */
    public static void requireDocker() {
        String problem = null;
        try {
            CompletableFuture.runAsync(() -> client().pingCmd().exec()).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            problem = "no Docker engine answers at " + host() + ": " + e;
        }
        Engines.require("Docker", problem == null, (problem == null ? "" : problem + "; ") + SETUP);
    }

    /** Each image is in the engine. */
    public static void requireImages(String... images) {
        for (String image : images) {
            boolean present;
            try {
                client().inspectImageCmd(image).exec();
                present = true;
            } catch (NotFoundException e) {
                present = false;
            }
            Engines.require("Docker image " + image, present, "build it with distribution/images/build.sh, or " + SETUP);
        }
    }

    /**
     * Testcontainers reads its settings for this engine from the environment only: the reaper container
     * (Ryuk) would have to come from a registry, and without a host override it looks for the default bridge
     * network, which {@code dockerd --bridge=none} does not have.
     */
    public static void requireTestcontainersEnvironment() {
        boolean ok = "true".equalsIgnoreCase(System.getenv("TESTCONTAINERS_RYUK_DISABLED"))
                && System.getenv("TESTCONTAINERS_HOST_OVERRIDE") != null;
        Engines.require("Testcontainers settings", ok, "set TESTCONTAINERS_RYUK_DISABLED=true and "
                + "TESTCONTAINERS_HOST_OVERRIDE=localhost in the environment of the tests (the pom's failsafe "
                + "environmentVariables)");
    }

    /** All containers (running or not) carrying every one of {@code labels}. */
    public static List<Container> containers(Map<String, String> labels) {
        return client().listContainersCmd().withShowAll(true).withLabelFilter(labels).exec();
    }
}
