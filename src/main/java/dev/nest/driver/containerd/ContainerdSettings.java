package dev.nest.driver.containerd;

import dev.nest.spi.DriverOptions;
import dev.nest.spi.SandboxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The options of {@code sidecar.drivers.containerd} in nest.yaml, validated. Every key is optional:
 *
 * <pre>
 * address: /run/nest/containerd/containerd.sock   # containerd's gRPC socket (distribution/setup-engines.sh starts it)
 * namespace: nest                                 # containerd namespace of the images and pods
 * snapshotter: overlayfs                          # snapshotter the images were unpacked for
 * runtime: io.containerd.runc.v2                  # the shim that runs the containers
 * timeout: 30s                                    # longest single call (create, start, delete, list)
 * shim: per-pod                                   # per-pod: one runc shim each; shared: one shim serves all pods of the node
 * tmpfs-size: 64m                                 # size of the writable /tmp of each pod
 * init: /usr/bin/docker-init                      # a tiny init (tini) as PID 1, bind-mounted from the host; none: no init
 * image.nodejs: docker.io/nest/runtime-nodejs:latest  # default: the runtime.yaml image, as docker.io/...
 * prepared: 0                                     # created, unstarted containers kept per image and limits (0..8)
 * prepared-max-age: 10m                           # a prepared container unused this long is replaced (1s..10m)
 * </pre>
 *
 * @param address     the socket path
 * @param namespace   containerd namespace, sent as the {@code containerd-namespace} header of every call
 * @param snapshotter snapshotter name
 * @param runtime     runtime (shim) name
 * @param timeout     bound of every call
 * @param sharedShim  whether the pods of a node share one shim process
 * @param tmpfsBytes  size of {@code /tmp}
 * @param init        the init binary on the host, if any
 * @param images      runtime name to image, overriding runtime.yaml
 * @param prepared    prepared containers ({@link PreparedContainers}) kept per image and limits; 0: none
 * @param preparedMaxAge how long a prepared container may wait for a pod before it is replaced
 * @param hostSocket  {@code host-socket}: whether each pod's host also listens on a Unix domain socket in a node
 *                    directory mounted into the container, which the gateway then uses (ADR 0032; default true)
 */
record ContainerdSettings(Path address, String namespace, String snapshotter, String runtime, Duration timeout,
                          boolean sharedShim, long tmpfsBytes, Optional<Path> init, Map<String, String> images,
                          int prepared, Duration preparedMaxAge, boolean hostSocket) {
    static final String PREFIX = "sidecar.drivers.containerd.";
    static final String DEFAULT_ADDRESS = "/run/nest/containerd/containerd.sock";
    static final String DEFAULT_INIT = "/usr/bin/docker-init";
    private static final Set<String> KEYS = Set.of("address", "namespace", "snapshotter", "runtime", "timeout", "shim",
            "tmpfs-size", "init", "prepared", "prepared-max-age",
            "host-socket");
    static final int MAX_PREPARED = 8;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,75}");
    private static final Pattern RUNTIME = Pattern.compile("[a-z0-9]+(\\.[a-z0-9]+){2,}");

    ContainerdSettings {
        images = Map.copyOf(images);
    }

    /** The image of {@code runtime}: the configured one, else {@code fallback} (runtime.yaml), normalised. */
    String image(String runtime, String fallback) {
        String image = images.getOrDefault(runtime, fallback == null ? "" : fallback);
        return image.isBlank() ? "" : normalise(image);
    }

    /**
     * An image name as containerd records it when Docker Hub style names are imported
     * ({@code nest/runtime-nodejs} becomes {@code docker.io/nest/runtime-nodejs:latest}, {@code node} becomes
     * {@code docker.io/library/node:latest}); names with a registry host are kept, a missing tag is
     * {@code latest}. distribution/images/load-containerd.sh names them the same way.
     */
    static String normalise(String image) {
        String n = image.trim();
        int slash = n.indexOf('/');
        String first = slash < 0 ? "" : n.substring(0, slash);
        if (!(first.contains(".") || first.contains(":") || first.equals("localhost"))) {
            n = "docker.io/" + (slash < 0 ? "library/" : "") + n;
        }
        String last = n.substring(n.lastIndexOf('/') + 1);
        if (!last.contains(":") && !n.contains("@")) {
            n = n + ":latest";
        }
        return n;
    }

    static ContainerdSettings parse(Map<String, String> options) {
        List<String> problems = new ArrayList<>();
        Map<String, String> images = DriverOptions.images(PREFIX, options, KEYS, "docker.io/nest/runtime-nodejs:latest", problems);
        String addr = options.getOrDefault("address", DEFAULT_ADDRESS).trim();
        if (addr.startsWith("unix://")) {
            addr = addr.substring("unix://".length());
        }
        if (!addr.startsWith("/")) {
            problems.add(problem("address", options.get("address"), "the absolute path of containerd's socket, e.g. " + DEFAULT_ADDRESS));
            addr = DEFAULT_ADDRESS;
        }
        String namespace = name("namespace", options.getOrDefault("namespace", "nest"), problems);
        String snapshotter = name("snapshotter", options.getOrDefault("snapshotter", "overlayfs"), problems);
        String runtime = options.getOrDefault("runtime", "io.containerd.runc.v2").trim();
        if (!RUNTIME.matcher(runtime).matches()) {
            problems.add(problem("runtime", runtime, "a containerd runtime name, e.g. io.containerd.runc.v2"));
        }
        Duration timeout = DriverOptions.timeout(PREFIX, "timeout", options.getOrDefault("timeout", "30s"), problems);
        String shim = options.getOrDefault("shim", "per-pod").trim();
        if (!shim.equals("shared") && !shim.equals("per-pod")) {
            problems.add(problem("shim", shim, "shared (one runc shim process for all pods of the node) or per-pod"));
        }
        long tmpfs = DriverOptions.size(PREFIX, "tmpfs-size", options.getOrDefault("tmpfs-size", "64m"), 1L << 20, 64L << 20, problems);
        String init = options.getOrDefault("init", DEFAULT_INIT).trim();
        Optional<Path> initPath = Optional.empty();
        if (init.startsWith("/")) {
            initPath = Optional.of(Path.of(init));
        } else if (!init.equals("none")) {
            problems.add(problem("init", init, "the absolute path of an init binary on this machine (e.g. "
                    + DEFAULT_INIT + ") or none"));
        }
        String preparedText = options.getOrDefault("prepared", "0").trim();
        int prepared = 0;
        if (preparedText.matches("[0-9]{1,2}") && Integer.parseInt(preparedText) <= MAX_PREPARED) {
            prepared = Integer.parseInt(preparedText);
        } else {
            problems.add(problem("prepared", preparedText, "a whole number from 0 (none) to " + MAX_PREPARED
                    + ": created, unstarted containers kept per image and limits"));
        }
        Duration maxAge = DriverOptions.timeout(PREFIX, "prepared-max-age", options.getOrDefault("prepared-max-age", "10m"),
                problems);
        boolean hostSocket = dev.nest.spi.PodHostSockets.setting(PREFIX, options.getOrDefault("host-socket", "true"), problems);
        if (!problems.isEmpty()) {
            throw new SandboxException("invalid containerd driver options: " + String.join("; ", problems));
        }
        return new ContainerdSettings(Path.of(addr), namespace, snapshotter, runtime, timeout, shim.equals("shared"), tmpfs,
                initPath, images, prepared, maxAge, hostSocket);
    }

    private static String name(String key, String value, List<String> problems) {
        String v = value.trim();
        if (!NAME.matcher(v).matches()) {
            problems.add(problem(key, value, "letters, digits, '.', '_' and '-', starting with a letter or digit"));
        }
        return v;
    }

    private static String problem(String key, String value, String allowed) {
        return DriverOptions.problem(PREFIX, key, value, allowed);
    }
}
