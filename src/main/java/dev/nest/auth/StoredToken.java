package dev.nest.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.common.Json;
import dev.nest.common.NestException;
import dev.nest.common.Rate;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * A token as a {@link TokenStore} keeps it: the request's fields, the SHA-256 of the secret (hex) and its display
 * prefix, never the secret. {@link #toJson()} and {@link #fromJson(byte[])} are the stored form (one ZooKeeper node
 * per token).
 *
 * @param name       unique name
 * @param role       what it may do
 * @param namespaces names or globs it covers
 * @param sha256     the SHA-256 of the secret, 64 lowercase hex digits
 * @param prefix     the secret's {@link TokenSecret#displayPrefix() display prefix}
 * @param createdAt  when it was created
 * @param expiresAt  when it stops working; empty for never
 * @param lastUsedAt when a node last recorded a use
 * @param rate       its rate limit on invocations ({@code "rate": "50/s"} in the stored form; absent for none, as in
 *                   tokens stored before the field existed)
 */
public record StoredToken(String name, Role role, List<String> namespaces, String sha256, String prefix,
                          Instant createdAt, Optional<Instant> expiresAt, Optional<Instant> lastUsedAt,
                          Optional<Rate> rate) {
    public StoredToken {
        namespaces = List.copyOf(namespaces);
        rate = rate == null ? Optional.empty() : rate;
        if (!sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("sha256 of token " + name + " is not 64 lowercase hex digits");
        }
    }

    /** A token without a rate limit. */
    public StoredToken(String name, Role role, List<String> namespaces, String sha256, String prefix,
                       Instant createdAt, Optional<Instant> expiresAt, Optional<Instant> lastUsedAt) {
        this(name, role, namespaces, sha256, prefix, createdAt, expiresAt, lastUsedAt, Optional.empty());
    }

    /**
     * The stored form of a new token.
     *
     * @throws NestException 400 when the expiry is not after {@code now}
     */
    public static StoredToken issue(NewToken request, TokenSecret secret, Instant now) {
        request.expiresAt().ifPresent(at -> {
            if (!at.isAfter(now)) {
                throw NestException.badRequest("key 'expires': value '" + at + "' is not after now (" + now
                        + "); allowed: a time in the future, or none for a token that does not expire");
            }
        });
        return new StoredToken(request.name(), request.role(), request.namespaces(),
                HexFormat.of().formatHex(secret.sha256()), secret.displayPrefix(), now, request.expiresAt(),
                Optional.empty(), request.rate());
    }

    /** Whether this is the token of {@code secret}: hashes compared in constant time. */
    public boolean matches(TokenSecret secret) {
        return MessageDigest.isEqual(HexFormat.of().parseHex(sha256), secret.sha256());
    }

    /** Whether it has stopped working at {@code now}. */
    public boolean expired(Instant now) {
        return expiresAt.isPresent() && !now.isBefore(expiresAt.get());
    }

    public Principal principal() {
        return new Principal(name, role, namespaces, rate);
    }

    public TokenInfo info() {
        return new TokenInfo(name, role, namespaces, prefix, createdAt, expiresAt, lastUsedAt, rate);
    }

    public StoredToken withLastUsed(Instant at) {
        return new StoredToken(name, role, namespaces, sha256, prefix, createdAt, expiresAt, Optional.of(at), rate);
    }

    public byte[] toJson() {
        ObjectNode n = Json.mapper().createObjectNode();
        n.put("name", name);
        n.put("role", role.key());
        namespaces.forEach(n.putArray("namespaces")::add);
        n.put("sha256", sha256);
        n.put("prefix", prefix);
        n.put("createdAt", createdAt.toString());
        expiresAt.ifPresent(at -> n.put("expiresAt", at.toString()));
        lastUsedAt.ifPresent(at -> n.put("lastUsedAt", at.toString()));
        rate.ifPresent(r -> n.put("rate", r.toString()));
        return Json.bytes(n);
    }

    /**
     * Reads the stored form.
     *
     * @throws IllegalArgumentException when a field is missing or malformed
     */
    public static StoredToken fromJson(byte[] json) {
        try {
            JsonNode n = Json.tree(json, "stored token");
            List<String> namespaces = new ArrayList<>();
            n.path("namespaces").forEach(x -> namespaces.add(x.asText()));
            return new StoredToken(text(n, "name"), Role.parse("role", text(n, "role")), namespaces,
                    text(n, "sha256"), text(n, "prefix"), Instant.parse(text(n, "createdAt")),
                    optionalInstant(n, "expiresAt"), optionalInstant(n, "lastUsedAt"),
                    n.hasNonNull("rate") ? Optional.of(Rate.parse(n.get("rate").asText())) : Optional.empty());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("stored token is not valid: " + e.getMessage(), e);
        }
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException("field '" + field + "' is missing");
        }
        return v.asText();
    }

    private static Optional<Instant> optionalInstant(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? Optional.empty() : Optional.of(Instant.parse(v.asText()));
    }
}
