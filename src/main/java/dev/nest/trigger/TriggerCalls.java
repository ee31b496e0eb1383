package dev.nest.trigger;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;

/**
 * The mark on a trigger's synchronous call through this node's gateway: header {@value #HEADER} with a secret of
 * this process, so that an event-only function ({@code http: false}) accepts it while its URL answers 404 to anyone
 * else. The gateway removes the header before the request reaches the function. Thread-safe.
 */
public final class TriggerCalls {
    public static final String HEADER = "x-nest-trigger-call";
    private final String secret = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));

    /** The header's value. */
    String value() {
        return secret;
    }

    /** Whether {@code headers} (name, value, ...) carry this process's mark. */
    public boolean marked(List<String> headers) {
        for (int i = 0; i + 1 < headers.size(); i += 2) {
            if (headers.get(i).equalsIgnoreCase(HEADER) && MessageDigest.isEqual(
                    headers.get(i + 1).trim().getBytes(StandardCharsets.UTF_8), secret.getBytes(StandardCharsets.UTF_8))) {
                return true;
            }
        }
        return false;
    }
}
