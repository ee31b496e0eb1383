package dev.nest.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which requests {@link CloudEvents#read} takes for CloudEvents, including the shortcut for ordinary requests. */
class CloudEventsReadTest {
    private static final byte[] EVENT = "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\",\"type\":\"t\"}"
            .getBytes(StandardCharsets.UTF_8);

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "application/json|none",
            "text/plain; charset=utf-8|none",
            "application/cloudevent|none",
            "application/cloudevents+json|STRUCTURED",
            "Application/CloudEvents+JSON; charset=utf-8|STRUCTURED",
            "'  application/cloudevents+json'|STRUCTURED",
            "APPLICATION/CLOUDEVENTS-BATCH+JSON|BATCH"})
    void theMediaTypeDecides(String contentType, String mode) {
        byte[] body = mode.equals("BATCH") ? ("[" + new String(EVENT, StandardCharsets.UTF_8) + "]")
                .getBytes(StandardCharsets.UTF_8) : EVENT;
        assertEquals(mode, CloudEvents.read(new ArrayList<>(List.of("content-type", contentType)), body)
                .map(p -> p.mode().name()).orElse("none"));
    }

    @Test
    void anotherCloudEventsFormatIsRefused() {
        CloudEvents.Invalid e = assertThrows(CloudEvents.Invalid.class,
                () -> CloudEvents.read(List.of("Content-Type", "application/cloudevents+xml"), EVENT));
        assertEquals(415, e.status());
    }

    @Test
    void ceHeadersWithoutACloudEventsMediaTypeAreBinaryMode() {
        List<String> headers = List.of("ce-specversion", "1.0", "ce-id", "1", "ce-source", "s", "ce-type", "t");
        assertEquals(CloudEvents.Mode.BINARY, CloudEvents.read(headers, new byte[0]).orElseThrow().mode());
        assertFalse(CloudEvents.read(List.of("accept", "*/*"), new byte[0]).isPresent());
    }
}
