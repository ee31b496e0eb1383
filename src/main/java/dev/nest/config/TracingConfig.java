package dev.nest.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.util.Locale;

/**
 * The {@code tracing:} block: optional export of the gateway's invocation spans over OTLP/HTTP.
 *
 * @param otlpEndpoint the collector's OTLP/HTTP traces URL ({@code http://collector:4318/v1/traces}; a URL with no
 *                     path gets {@code /v1/traces}); empty: no export (the default)
 * @param sampleRatio  the share of new traces (started at this gateway) exported, 0..1; a trace that arrives with a
 *                     {@code traceparent} follows its sampled flag
 * @param serviceName  the {@code service.name} resource attribute of the exported spans
 * @param queueSize    spans waiting for export at most; beyond, new ones are dropped (and counted)
 */
public record TracingConfig(String otlpEndpoint, double sampleRatio, String serviceName, int queueSize) {
    /** Export off. */
    public static final TracingConfig DEFAULTS = new TracingConfig("", 1.0, "nest", 2048);

    /** Whether spans are exported. */
    public boolean enabled() {
        return !otlpEndpoint.isEmpty();
    }

    /** Reads the block; problems go to {@code r}. */
    static TracingConfig read(ConfigReader r, JsonNode t) {
        TracingConfig d = DEFAULTS;
        String endpoint = r.text(t, "tracing.otlp-endpoint", d.otlpEndpoint()).strip();
        if (!endpoint.isEmpty()) {
            endpoint = endpoint(endpoint).orElseGet(() -> "");
            if (endpoint.isEmpty()) {
                r.problem("tracing.otlp-endpoint", r.text(t, "tracing.otlp-endpoint", ""),
                        "empty (no export) or an http:// or https:// URL with a host, e.g. http://127.0.0.1:4318");
            }
        }
        String ratioText = r.text(t, "tracing.sample-ratio", Double.toString(d.sampleRatio()));
        double ratio = d.sampleRatio();
        try {
            ratio = Double.parseDouble(ratioText);
        } catch (NumberFormatException e) {
            ratio = Double.NaN;
        }
        if (!(ratio >= 0 && ratio <= 1)) {
            r.problem("tracing.sample-ratio", ratioText, "a number from 0 to 1, e.g. 0.1");
            ratio = d.sampleRatio();
        }
        String service = r.text(t, "tracing.service-name", d.serviceName()).strip();
        if (service.isEmpty() || service.length() > 255) {
            r.problem("tracing.service-name", service, "1 to 255 characters, e.g. nest");
            service = d.serviceName();
        }
        return new TracingConfig(endpoint, ratio, service,
                r.integer(t, "tracing.queue-size", d.queueSize(), 16, 1_000_000));
    }

    /** The traces URL for a configured endpoint, empty when it is not an http(s) URL with a host. */
    static java.util.Optional<String> endpoint(String value) {
        try {
            URI u = new URI(value);
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || u.getHost() == null || u.getRawQuery() != null
                    || u.getRawFragment() != null || u.getRawUserInfo() != null) {
                return java.util.Optional.empty();
            }
            String path = u.getRawPath() == null ? "" : u.getRawPath();
            return java.util.Optional.of(path.isEmpty() || path.equals("/")
                    ? value.replaceAll("/$", "") + "/v1/traces" : value);
        } catch (java.net.URISyntaxException e) {
            return java.util.Optional.empty();
        }
    }
}
