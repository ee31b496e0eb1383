package dev.nest.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class ErrorResponseTest {
    static final class Busy extends NestException implements ErrorResponse.RetryHint {
        Busy() {
            super(503, "busy", "try later");
        }

        @Override
        public OptionalInt retryAfterSeconds() {
            return OptionalInt.of(9);
        }
    }

    @Test
    void aRetryHintIsInTheBodyAndTheHeader() {
        ErrorResponse r = ErrorResponse.of(new Busy()).withInvocation("inv-1");
        assertEquals(9, Json.tree(r.body(), "e").path("retryAfterSeconds").asInt());
        assertEquals("inv-1", Json.tree(r.body(), "e").path("invocationId").asText());
        assertEquals(List.of("retry-after", "9"), r.headers());
    }

    @Test
    void withoutAHintThereIsNeitherFieldNorHeader() {
        ErrorResponse r = new ErrorResponse(404, "not found", "x");
        assertFalse(Json.tree(r.body(), "e").has("retryAfterSeconds"));
        assertEquals(List.of(), r.headers());
    }

    @Test
    void theHintIsBoundedTo1To60Seconds() {
        assertEquals(OptionalInt.of(60), new ErrorResponse(429, "e", "d").withRetryAfter(600).retryAfterSeconds());
        assertEquals(OptionalInt.of(1), new ErrorResponse(429, "e", "d").withRetryAfter(0).retryAfterSeconds());
    }
}
