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
    /**
     * Label: {@code true} once the node's public port has accepted a connection from the node itself, written into
     * its registration after it first listens (a node registers before its port listens). Its peers' probes count
     * the refusals of a registration that carries it at once, without a start grace; absent (still starting, or a
     * node of an older release): the grace applies. A registration is written by one process only, so the label
     * speaks for the start that wrote it ({@link #started}) and never outlives it.
     */
    public static final String LISTENING = "listening";

    /** Whether the registration says that the node's port listens ({@link #LISTENING} is {@code true}). */
    public boolean listening() {
        return labels != null && "true".equals(labels.get(LISTENING));
    }

    /** This registration with {@link #LISTENING} set to {@code listening} (absent when false). */
    public NodeInfo withListening(boolean listening) {
        java.util.Map<String, String> l = new java.util.TreeMap<>(labels == null ? Map.of() : labels);
        if (listening) {
            l.put(LISTENING, "true");
        } else {
            l.remove(LISTENING);
        }
        return new NodeInfo(id, address, port, zone, region, driver, started, Map.copyOf(l));
    }

    /** The base URL other nodes call this node's public port with: {@code <scheme>://<address>:<port>}. */
    public String url() {
        String scheme = labels == null ? "http" : labels.getOrDefault(SCHEME, "http");
        return ("https".equals(scheme) ? "https" : "http") + "://" + address + ":" + port;
    }
}
