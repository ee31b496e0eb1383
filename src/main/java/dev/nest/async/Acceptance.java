package dev.nest.async;

import java.nio.charset.StandardCharsets;

/** The answer to an async invocation request: accepted (durably) or refused. */
public sealed interface Acceptance {
    /** Stored (or found by its idempotency key): answer {@code 202} with {@link #body()} and {@link #location()}. */
    record Accepted(String id, boolean duplicate) implements Acceptance {
        /** The {@code Location} header's value. */
        public String location() {
            return "/api/v1/invocations/" + id;
        }

        /** The JSON body: {@code {"invocationId": "..."}}. */
        public byte[] body() {
            return ("{\"invocationId\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8);
        }
    }

    /** Refused: answer with {@code status} and the JSON error ({@code 413} too large, {@code 400}, {@code 503}). */
    record Rejected(int status, String error, String detail) implements Acceptance {
    }
}
