package dev.nest.gateway;

import dev.nest.auth.PeerCredential;
import java.util.Optional;

/**
 * Whether an invocation forwarded by another node's gateway may be served here: only when it carries the cluster's
 * credential ({@link PeerCredential}, compared in constant time). Pure; any thread.
 */
final class PeerAuth {
    /** The header the cluster credential travels in when the gateway was given none (it then accepts nothing). */
    static final String HEADER = "X-Nest-Cluster-Auth";

    private PeerAuth() {
    }

    /** Whether {@code presented} (the credential header of a forwarded invocation) is the cluster's credential. */
    static boolean accepts(Optional<PeerCredential> credential, Optional<String> presented) {
        return credential.isPresent() && presented.isPresent() && credential.get().verify(presented.get());
    }

    /** Why a forwarded invocation was refused, for the 403's detail (never the expected value). */
    static String refusal(Optional<PeerCredential> credential, Optional<String> presented) {
        if (credential.isEmpty()) {
            return "this node accepts no forwarded invocations: it was started without the cluster credential";
        }
        String header = credential.get().headerName();
        return presented.isEmpty()
                ? "an invocation marked as forwarded by another node (" + PeerRoutes.FORWARDED_BY + ") needs the cluster"
                + " credential in " + header
                : "the " + header + " of this forwarded invocation is not the cluster credential";
    }
}
