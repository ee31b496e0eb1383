package dev.nest.auth;

/**
 * How the nodes of a cluster recognise each other on the routes they call on one another (load reports to the
 * leader, code packages pushed to and fetched from peers): a header every node sends and every node checks.
 * Accepted only on the routes whose {@link Requirement#peer()} says so, never as a token for the rest of the API.
 *
 * <p>Implementations are thread-safe; {@link #verify} compares in constant time.
 */
public interface PeerCredential {
    /** The header the credential travels in, e.g. {@code X-Nest-Peer}. */
    String headerName();

    /** The value this node sends. */
    String headerValue();

    /** Whether {@code presented} (the header's value on a request) is the cluster's credential. */
    boolean verify(String presented);
}
