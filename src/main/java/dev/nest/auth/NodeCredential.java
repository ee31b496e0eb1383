package dev.nest.auth;

import dev.nest.common.NestException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The token a node presents to its peers (load reports to the leader, code packages pushed to and fetched from
 * other nodes). Each node issues its own at start, an {@code admin} token named {@code node-<node id>}, keeps the
 * secret in memory only (it is never written anywhere) and revokes it on {@link #close}. A token of the same name
 * left by an earlier run of the node (which crashed, so its secret is lost) is replaced.
 *
 * <p>Issue it after {@link Bootstrap#run}: the bootstrap recognises a new region by an empty store.
 * Limits: a node that dies without closing leaves its token until it starts again; an admin who revokes a node's
 * token cuts the node's peer calls off until it restarts. Thread-safe.
 */
public final class NodeCredential implements AutoCloseable {
    public static final String NAME_PREFIX = "node-";

    private final TokenStore store;
    private final String name;
    private final TokenSecret secret;

    private NodeCredential(TokenStore store, String name, TokenSecret secret) {
        this.store = store;
        this.name = name;
        this.secret = secret;
    }

    /**
     * Issues this node's token, replacing one of the same name.
     *
     * @throws NestException when the store cannot be written (503 from a cluster store)
     */
    public static NodeCredential issue(TokenStore store, String nodeId) {
        String name = tokenName(nodeId);
        if (store.list().stream().anyMatch(t -> t.name().equals(name))) {
            revokeQuietly(store, name);
        }
        TokenSecret secret = TokenSecret.generate();
        store.create(new NewToken(name, Role.ADMIN, List.of("*"), Optional.empty()), secret);
        return new NodeCredential(store, name, secret);
    }

    /** The token name of a node: {@code node-} and the node id in the token names' characters. */
    static String tokenName(String nodeId) {
        String id = nodeId.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]", "-");
        String name = (NAME_PREFIX + id).replaceAll("[._-]+$", "");
        return name.length() > 64 ? name.substring(0, 64).replaceAll("[._-]+$", "") : name;
    }

    public String name() {
        return name;
    }

    /** The {@code Authorization} header value for a call to a peer. */
    public String authorization() {
        return "Bearer " + secret.reveal();
    }

    /** Revokes the token (a store that cannot be reached leaves it; the next start replaces it). */
    @Override
    public void close() {
        revokeQuietly(store, name);
    }

    private static void revokeQuietly(TokenStore store, String name) {
        try {
            store.revoke(name);
        } catch (NestException e) {
            if (e.status() != 404) {
                java.util.logging.Logger.getLogger(NodeCredential.class.getName())
                        .warning("cannot revoke node token '" + name + "': " + e.detail());
            }
        }
    }
}
