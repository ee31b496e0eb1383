package dev.nest.auth;

import java.util.Objects;
import java.util.function.Predicate;

/**
 * How the nodes of a cluster recognise each other on the routes they call on one another (load reports to the
 * leader, code packages pushed to and fetched from peers): a header every node sends and every node checks.
 * Accepted only on the routes whose {@link Requirement#peer()} says so, never as a token for the rest of the API.
 * A server binds it to the cluster's credential ({@code dev.nest.cluster.ClusterCredential}) with {@link #of}.
 *
 * <p>Implementations are thread-safe; {@link #verify} compares in constant time.
 */
public interface PeerCredential {
    /** The header the credential travels in. */
    String headerName();

    /** The value this node sends. */
    String headerValue();

    /** Whether {@code presented} (the header's value on a request) is the cluster's credential. */
    boolean verify(String presented);

    /**
     * The credential sent as {@code headerName: headerValue} and checked by {@code verify} (which must compare in
     * constant time and accept {@code headerValue}).
     */
    static PeerCredential of(String headerName, String headerValue, Predicate<String> verify) {
        Objects.requireNonNull(headerName);
        Objects.requireNonNull(headerValue);
        Objects.requireNonNull(verify);
        return new PeerCredential() {
            @Override
            public String headerName() {
                return headerName;
            }

            @Override
            public String headerValue() {
                return headerValue;
            }

            @Override
            public boolean verify(String presented) {
                return presented != null && verify.test(presented);
            }

            @Override
            public String toString() {
                return "PeerCredential[" + headerName + "]"; // never the value
            }
        };
    }
}
