package dev.nest.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class InvocationSpanTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "accept|*/*|http",
            "content-type|application/json|http",
            "x-nest-async-delivery|inv-1 token|pubsub",
            "ce-specversion|1.0|pubsub",
            "content-type|application/cloudevents+json|pubsub",
            "ce-type|dev.nest.cron.tick|timer",
            "CE-Type|com.example.Timer|timer",
            "ce-type|com.example.order.created|http",
            "Content-Type|Application/CloudEvents-Batch+json|pubsub",
            "X-Nest-Async-Delivery|inv-2 token|pubsub",
            "ce-type|CRON|timer",
            "ce-type|cro|http",
            "content-type|application/cloudevent|http"})
    void theTriggerComesFromTheRequestsHeaders(String name, String value, String trigger) {
        assertEquals(trigger, InvocationSpan.trigger(List.of(name, value)));
    }
}
