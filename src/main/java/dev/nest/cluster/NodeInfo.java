package dev.nest.cluster;

import java.time.Instant;
import java.util.Map;

/**
 * What a node publishes about itself (ephemeral, under {@code nodes/<id>}).
 *
 * @param id      node id
 * @param address advertised address for other nodes' gateways and the CLI
 * @param port    HTTP port
 * @param zone    availability zone
 * @param region  region
 * @param driver  sandbox driver name
 * @param started when the node started
 * @param labels  free-form facts: the capacity the scheduler places against ({@link #MEMORY_MB}, {@link #CPU_MILLIS},
 *                {@link #MAX_PODS}) and the scheme of the public port ({@link #SCHEME}), advertised at registration
 */
public record NodeInfo(String id, String address, int port, String zone, String region, String driver,
                       Instant started, Map<String, String> labels) {
    /** Label: memory instances may use, MiB. */
    public static final String MEMORY_MB = "memory-mb";
    /** Label: CPU instances may use, thousandths of a core. */
    public static final String CPU_MILLIS = "cpu-millis";
    /** Label: pods the node runs at once ({@code sidecar.max-pods}). */
    public static final String MAX_PODS = "max-pods";
    /**
     * Label: the scheme other nodes call this node's public port with, {@code https} when {@code server.tls} is on;
     * {@code http} when absent (a node of an older version).
     */
    public static final String SCHEME = "scheme";
    /**
     * Label: the package manifest formats the node reads, e.g. {@code 1,2} ({@code dev.nest.artifact.PackageFormats});
     * absent (a node of an older release): format 1 only.
     */
    public static final String PACKAGE_FORMATS = "package-formats";

    /** The base URL other nodes call this node's public port with: {@code <scheme>://<address>:<port>}. */
    public String url() {
        String scheme = labels == null ? "http" : labels.getOrDefault(SCHEME, "http");
        return ("https".equals(scheme) ? "https" : "http") + "://" + address + ":" + port;
    }
}
