package dev.nest.driver.docker;

import dev.nest.spi.DriverOptions;
import dev.nest.spi.SandboxException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The options of {@code sidecar.drivers.docker} in nest.yaml, validated. Every key is optional:
 *
 * <pre>
 * host: unix:///var/run/docker.sock   # the engine: unix://PATH, or tcp://127.0.0.1:PORT (no TLS, loopback only)
 * timeout: 30s                        # longest single engine call (create, start, remove, list)
 * image.nodejs: my/node-image:1       # the image of a runtime; default: image in the runtime's runtime.yaml
 * tmpfs-size: 64m                     # size of the writable /tmp of each pod
 * init: true                          # a tiny init (docker-init) as PID 1: reaps zombies, forwards signals
 * log-max-size: 10m                   # the engine keeps at most this much of a pod's output
 * host-socket: true                   # each pod's host also listens on a Unix domain socket (ADR 0032)
 * </pre>
 *
 * @param host       the engine endpoint
 * @param timeout    bound of every engine call
 * @param images     runtime name to image, overriding runtime.yaml
 * @param tmpfsSize  Docker size syntax ({@code 64m})
 * @param init       whether pods get an init process
 * @param logMaxSize Docker size syntax ({@code 10m})
 * @param hostSocket whether each pod gets a socket directory mounted at {@code /nest/host} and the gateway calls
 *                   its host there ({@link dev.nest.spi.PodHostSockets})
 */
record DockerSettings(URI host, Duration timeout, Map<String, String> images, String tmpfsSize, boolean init,
                      String logMaxSize, boolean hostSocket) {
    static final String PREFIX = "sidecar.drivers.docker.";
    static final String DEFAULT_HOST = "unix:///var/run/docker.sock";
    private static final Set<String> KEYS = Set.of("host", "timeout", "tmpfs-size", "init", "log-max-size", "host-socket");
    private static final Pattern SIZE = Pattern.compile("[1-9][0-9]{0,9}[kmg]?");

    DockerSettings {
        images = Map.copyOf(images);
    }

    /** The image configured for {@code runtime}, if any. */
    Optional<String> image(String runtime) {
        return Optional.ofNullable(images.get(runtime));
    }

    /** The endpoint as written in messages ({@code unix:///var/run/docker.sock}). */
    String endpoint() {
        return host.toString();
    }

    static DockerSettings parse(Map<String, String> options) {
        List<String> problems = new ArrayList<>();
        Map<String, String> images = DriverOptions.images(PREFIX, options, KEYS, "nest/runtime-nodejs:latest", problems);
        URI host = host(options.getOrDefault("host", DEFAULT_HOST), problems);
        Duration timeout = DriverOptions.timeout(PREFIX, "timeout", options.getOrDefault("timeout", "30s"), problems);
        String tmpfs = size("tmpfs-size", options.getOrDefault("tmpfs-size", "64m"), problems);
        String logMax = size("log-max-size", options.getOrDefault("log-max-size", "10m"), problems);
        String init = options.getOrDefault("init", "true").trim();
        if (!init.equals("true") && !init.equals("false")) {
            problems.add(problem("init", init, "true or false"));
        }
        boolean hostSocket = dev.nest.spi.PodHostSockets.setting(PREFIX, options.getOrDefault("host-socket", "true"), problems);
        if (!problems.isEmpty()) {
            throw new SandboxException("invalid docker driver options: " + String.join("; ", problems));
        }
        return new DockerSettings(host, timeout, images, tmpfs, init.equals("true"), logMax, hostSocket);
    }

    private static URI host(String value, List<String> problems) {
        String allowed = "unix:///path/to/docker.sock or tcp://127.0.0.1:PORT (the engine's API without TLS, on this machine)";
        try {
            URI uri = new URI(value.trim());
            if ("unix".equals(uri.getScheme()) && uri.getPath() != null && uri.getPath().startsWith("/")) {
                return uri;
            }
            if ("tcp".equals(uri.getScheme()) && uri.getHost() != null && uri.getPort() > 0
                    && (uri.getHost().equals("localhost") || uri.getHost().startsWith("127."))) {
                return uri;
            }
        } catch (URISyntaxException e) {
            // reported below
        }
        problems.add(problem("host", value, allowed));
        return URI.create(DEFAULT_HOST);
    }

    private static String size(String key, String value, List<String> problems) {
        String v = value.trim().toLowerCase(java.util.Locale.ROOT);
        if (SIZE.matcher(v).matches()) {
            return v;
        }
        problems.add(problem(key, value, "a size in Docker's syntax: bytes or a number with k, m or g, e.g. 64m"));
        return "64m";
    }

    private static String problem(String key, String value, String allowed) {
        return DriverOptions.problem(PREFIX, key, value, allowed);
    }
}
