package dev.nest.config;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.common.Durations;
import dev.nest.common.Sizes;

/** {@link NestConfig}'s documented defaults as a YAML-shaped tree, key by key as {@code config/nest.yaml} writes them. */
final class ConfigDefaults {
    private ConfigDefaults() {
    }

    static ObjectNode tree(NestConfig d) {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("data-dir", "./data");
        root.put("functions-dir", "./config/functions");
        root.put("runtimes-dir", "./runtimes");
        ObjectNode s = root.putObject("server");
        s.put("host", d.server().host());
        s.put("port", d.server().port());
        s.put("max-body", Sizes.format(d.server().maxBody()));
        s.put("shutdown-grace", Durations.format(d.server().shutdownGrace()));
        s.putObject("tls").put("cert", d.server().tls().cert()).put("key", d.server().tls().key()).put("ca", d.server().tls().ca());
        ObjectNode n = root.putObject("node");
        n.put("id", d.node().id());
        n.put("address", d.node().address());
        n.put("zone", d.node().zone());
        n.put("region", d.node().region());
        ObjectNode c = root.putObject("cluster");
        c.put("zookeeper", d.cluster().zookeeper());
        c.put("embedded-port", d.cluster().embeddedPort());
        c.put("session-timeout", Durations.format(d.cluster().sessionTimeout()));
        c.put("connection-timeout", Durations.format(d.cluster().connectionTimeout()));
        c.put("operation-timeout", Durations.format(d.cluster().operationTimeout()));
        c.put("artifact-replicas", d.cluster().artifactReplicas());
        c.put("node-probe", Durations.format(d.cluster().nodeProbe()));
        c.put("node-probe-start-grace", Durations.format(d.cluster().nodeProbeStartGrace()));
        c.put("secret", d.cluster().secret());
        c.put("secret-file", d.cluster().secretFile());
        c.put("burst-release", Durations.format(d.cluster().burstRelease()));
        ObjectNode sc = root.putObject("sidecar");
        sc.put("driver", d.sidecar().driver());
        sc.put("port-range", d.sidecar().portFrom() + "-" + d.sidecar().portTo());
        sc.put("start-timeout", Durations.format(d.sidecar().startTimeout()));
        sc.put("max-pods", d.sidecar().maxPods());
        sc.put("stop-grace", Durations.format(d.sidecar().stopGrace()));
        ObjectNode pool = sc.putObject("pool");
        d.sidecar().pool().sizes().forEach(pool::put);
        sc.put("pool-idle", Durations.format(d.sidecar().pool().idle()));
        sc.put("previous-version-keep-alive", Durations.format(d.sidecar().previousVersionKeepAlive()));
        sc.put("merge-below", d.sidecar().merged().mergeBelow());
        sc.put("merge-across-namespaces", d.sidecar().merged().acrossNamespaces());
        sc.put("merged-host-memory", d.sidecar().merged().hostMemoryMb());
        sc.put("merged-allocation-budget", d.sidecar().merged().allocationBudgetMb());
        double inFlight = d.sidecar().merged().inFlightBelow();
        if (inFlight == Math.rint(inFlight)) {
            sc.put("merge-below-in-flight", (long) inFlight);
        } else {
            sc.put("merge-below-in-flight", inFlight);
        }
        double burst = d.sidecar().merged().burstPercentile();
        if (burst == Math.rint(burst)) {
            sc.put("burst-workers", (long) burst);
        } else {
            sc.put("burst-workers", burst);
        }
        ObjectNode st = root.putObject("store");
        st.put("retention", Durations.format(d.store().retention()));
        st.put("max-log-line", Sizes.format(d.store().maxLogLineBytes()));
        st.put("max-size", Sizes.format(d.store().maxBytes()));
        ObjectNode as = root.putObject("async");
        as.put("queue", d.async().queue());
        as.put("max-payload", Sizes.format(d.async().maxPayload()));
        as.put("concurrency", d.async().concurrency());
        as.put("lease-time", Durations.format(d.async().leaseTime()));
        as.put("poll", Durations.format(d.async().poll()));
        as.put("retention", Durations.format(d.async().retention()));
        ObjectNode g = root.putObject("gateway");
        g.put("header-timeout", Durations.format(d.gateway().headerTimeout()));
        g.put("idle-timeout", Durations.format(d.gateway().idleTimeout()));
        g.put("body-timeout", Durations.format(d.gateway().bodyTimeout()));
        g.put("body-min-rate", Sizes.format(d.gateway().bodyMinRate()));
        g.put("max-connections", d.gateway().maxConnections());
        d.gateway().trustedProxies().forEach(g.putArray("trusted-proxies")::add);
        g.put("event-loops", d.gateway().eventLoops());
        g.put("pipeline-depth", d.gateway().pipelineDepth());
        root.putObject("tracing").put("otlp-endpoint", d.tracing().otlpEndpoint()).put("sample-ratio", d.tracing().sampleRatio())
                .put("service-name", d.tracing().serviceName()).put("queue-size", d.tracing().queueSize());
        root.putObject("artifacts").put("package-format", d.artifacts().packageFormat().value());
        return root;
    }
}
