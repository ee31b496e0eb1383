package dev.nest.gateway;

import dev.nest.auth.PeerCredential;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.io.IOException;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Serves {@code GET|HEAD /api/v1/artifacts/chunks/{sha256}} to another node of the cluster on the gateway's loop,
 * from the chunk's file ({@link ClientConnection#respondFile}: sendfile on a plain connection), instead of passing it
 * to the admin server, which would read the chunk and copy it, and the gateway hold all of it, before the answer
 * went out (ADR 0027).
 *
 * <p>Only a request the admin server would let through on the peer credential alone, and nothing it might judge
 * otherwise, is served here: method {@code GET} or {@code HEAD}; the target exactly the prefix and 64 lowercase hex
 * digits (no query, no escapes, no further segment); no body; exactly one credential header, and that one the
 * cluster's {@link PeerCredential} (compared in constant time). Anything else, a credential that is wrong included,
 * and a chunk this node does not hold or cannot open, goes to the admin server as before ({@link #serve} answers
 * false), so its access rules, its 401/403/404 and its texts stay the only ones: no caller can learn from the gateway
 * what the admin server would not tell it. The file is only ever the store's own chunk file for that digest
 * ({@link ChunkFiles}). Loop thread only.
 */
final class ChunkServer {
    static final String PREFIX = "/api/v1/artifacts/chunks/";
    private static final Logger LOG = Logger.getLogger(ChunkServer.class.getName());
    private static final int HEX = 64;

    private final ChunkFiles files;
    private final PeerCredential credential;
    private volatile boolean openFailed;

    ChunkServer(ChunkFiles files, PeerCredential credential) {
        this.files = files;
        this.credential = credential;
    }

    /** Answers {@code c}'s request from the chunk's file when it may (see the class); false when the admin server should. */
    boolean serve(ClientConnection c) {
        ClientRequest r = c.request;
        if (!r.method.equals("GET") && !r.method.equals("HEAD") || r.body != null && r.body.length > 0) {
            return false;
        }
        String sha256 = digest(r.target);
        if (sha256 == null || !peer(r)) {
            return false;
        }
        Optional<ChunkFiles.Opened> file;
        try {
            file = files.open(sha256);
        } catch (IOException | RuntimeException e) {
            if (!openFailed) { // once, not per request: the admin server answers each one with the error
                openFailed = true;
                LOG.log(Level.WARNING, "cannot open a stored chunk to serve it; the admin server serves them", e);
            }
            return false;
        }
        if (file.isEmpty()) {
            return false;
        }
        HttpHeaders h = new DefaultHttpHeaders(false);
        h.set(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream");
        c.respondFile(h, file.get().channel(), file.get().length());
        return true;
    }

    /** The digest {@code target} names when it is exactly {@link #PREFIX} and 64 lowercase hex digits; null otherwise. Pure. */
    static String digest(String target) {
        if (target.length() != PREFIX.length() + HEX || !target.startsWith(PREFIX)) {
            return null;
        }
        for (int i = PREFIX.length(); i < target.length(); i++) {
            char ch = target.charAt(i);
            if (!(ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'f')) {
                return null;
            }
        }
        return target.substring(PREFIX.length());
    }

    /** Whether {@code r} carries one credential header, and it is the cluster's. */
    private boolean peer(ClientRequest r) {
        String presented = null;
        for (int i = 0; i < r.headers.size(); i += 2) {
            if (r.headers.get(i).equalsIgnoreCase(credential.headerName())) {
                if (presented != null) {
                    return false;
                }
                presented = r.headers.get(i + 1);
            }
        }
        return presented != null && credential.verify(presented);
    }
}
