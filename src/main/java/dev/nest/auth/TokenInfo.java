package dev.nest.auth;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.common.Json;
import dev.nest.common.Rate;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A token as lists show it: everything but the secret and its hash.
 *
 * @param name       unique name
 * @param role       what it may do
 * @param namespaces names or globs it covers
 * @param prefix     {@code nest_} and the secret's first characters, to recognise it
 * @param createdAt  when it was created
 * @param expiresAt  when it stops working; empty for never
 * @param lastUsedAt when a node last accepted it (recorded at most once a minute per node); empty if never used
 * @param rate       its rate limit on invocations; empty for none
 */
public record TokenInfo(String name, Role role, List<String> namespaces, String prefix, Instant createdAt,
                        Optional<Instant> expiresAt, Optional<Instant> lastUsedAt, Optional<Rate> rate) {
    public TokenInfo {
        namespaces = List.copyOf(namespaces);
        rate = rate == null ? Optional.empty() : rate;
    }

    /** A token without a rate limit. */
    public TokenInfo(String name, Role role, List<String> namespaces, String prefix, Instant createdAt,
                     Optional<Instant> expiresAt, Optional<Instant> lastUsedAt) {
        this(name, role, namespaces, prefix, createdAt, expiresAt, lastUsedAt, Optional.empty());
    }

    /**
     * The API's form: {@code {name, role, namespaces, prefix, createdAt, expiresAt, lastUsedAt, rate}} (null when
     * absent).
     */
    public ObjectNode toJson() {
        ObjectNode n = Json.mapper().createObjectNode();
        n.put("name", name);
        n.put("role", role.key());
        namespaces.forEach(n.putArray("namespaces")::add);
        n.put("prefix", prefix);
        n.put("createdAt", createdAt.toString());
        n.put("expiresAt", expiresAt.map(Instant::toString).orElse(null));
        n.put("lastUsedAt", lastUsedAt.map(Instant::toString).orElse(null));
        n.put("rate", rate.map(Rate::toString).orElse(null));
        return n;
    }
}
