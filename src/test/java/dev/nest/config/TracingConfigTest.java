package dev.nest.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.common.Json;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TracingConfigTest {
    private static NestConfig parse(String yaml) throws Exception {
        JsonNode tree = Json.yaml().readTree(yaml);
        return NestConfig.parse(tree, "test.yaml", Path.of("."));
    }

    @Test
    void offByDefault() {
        assertFalse(NestConfig.defaults().tracing().enabled());
        assertEquals(TracingConfig.DEFAULTS, NestConfig.defaults().tracing());
    }

    @ParameterizedTest
    @CsvSource({
            "http://127.0.0.1:4318, http://127.0.0.1:4318/v1/traces",
            "http://collector:4318/, http://collector:4318/v1/traces",
            "https://otel.example.com/otlp/v1/traces, https://otel.example.com/otlp/v1/traces"})
    void anEndpointIsTheTracesUrl(String value, String url) throws Exception {
        TracingConfig t = parse("tracing: {otlp-endpoint: '" + value + "', sample-ratio: 0.25, service-name: edge}").tracing();
        assertTrue(t.enabled());
        assertEquals(url, t.otlpEndpoint());
        assertEquals(0.25, t.sampleRatio());
        assertEquals("edge", t.serviceName());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "otlp-endpoint: ftp://collector:21 | tracing.otlp-endpoint",
            "otlp-endpoint: 'http:///v1/traces' | tracing.otlp-endpoint",
            "otlp-endpoint: 'http://c:4318/?a=b' | tracing.otlp-endpoint",
            "sample-ratio: 1.5 | tracing.sample-ratio",
            "sample-ratio: -0.1 | tracing.sample-ratio",
            "sample-ratio: half | tracing.sample-ratio",
            "service-name: '' | tracing.service-name",
            "queue-size: 2 | tracing.queue-size",
            "colour: red | tracing.colour"})
    void aBadValueNamesItsKey(String entry, String key) {
        ConfigException e = assertThrows(ConfigException.class, () -> parse("tracing: {" + entry + "}"));
        assertTrue(e.getMessage().contains(key), e.getMessage());
    }
}
