package dev.nest.function;

import java.time.Instant;

/**
 * One immutable version of a function: the code (by content digest) and the spec frozen together.
 *
 * @param version   1, 2, 3, ... per function
 * @param digest    the code package's digest ({@code sha256:<hex>})
 * @param spec      the spec at deploy time
 * @param createdAt when it was deployed
 * @param source    who made it: {@code api}, {@code cli}, {@code file:<path>}
 */
public record FunctionVersion(int version, String digest, FunctionSpec spec, Instant createdAt, String source) {
}
