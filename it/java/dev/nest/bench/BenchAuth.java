package dev.nest.bench;

import dev.nest.NestServer;
import dev.nest.auth.TokenSecret;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The admin token of the nodes a benchmark starts, sent on its admin calls ({@code /api/...}, {@code /metrics});
 * invocations and calls to runtime hosts go out without it, as an anonymous caller's would, so the token costs
 * nothing on the paths being measured.
 *
 * <p>Nodes started as child processes get {@link #bootstrapToken()} (one per benchmark JVM) in
 * {@code NEST_BOOTSTRAP_TOKEN} ({@link #childEnv()}), so their region's first admin token is known in advance.
 * In-process nodes read the real environment, so for them the benchmark reads the token the node wrote to
 * {@code <data>/admin.token} ({@link #started}). One token at a time, for the whole JVM: a benchmark talks to one
 * region at a time. Thread-safe.
 */
final class BenchAuth {
    static final String BOOTSTRAP_ENV = "NEST_BOOTSTRAP_TOKEN";
    private static final String BOOTSTRAP = TokenSecret.generate().reveal();
    private static volatile Optional<String> token = Optional.of(BOOTSTRAP);

    private BenchAuth() {
    }

    /** The first admin token of the regions of child-process nodes. */
    static String bootstrapToken() {
        return BOOTSTRAP;
    }

    /** The environment of a child-process node: its region's first admin token. */
    static Map<String, String> childEnv() {
        token = Optional.of(BOOTSTRAP);
        return Map.of(BOOTSTRAP_ENV, BOOTSTRAP);
    }

    /** Uses the admin token that the in-process {@code node} wrote when it started its region; returns the node. */
    static NestServer started(NestServer node) {
        Path file = node.config().dataDir().resolve("admin.token");
        try {
            token = Files.isRegularFile(file) ? Optional.of(Files.readString(file).strip()) : Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return node;
    }

    /** A request to {@code uri}, with the admin token when it is an admin call. */
    static HttpRequest.Builder request(URI uri) {
        return authorize(HttpRequest.newBuilder(uri), uri);
    }

    /** Adds the admin token to {@code b} when {@code uri} is an admin call. */
    static HttpRequest.Builder authorize(HttpRequest.Builder b, URI uri) {
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        if (path.startsWith("/api/") || path.equals("/metrics")) {
            token.ifPresent(t -> b.header("Authorization", "Bearer " + t));
        }
        return b;
    }

    /**
     * Marks {@code b} as an invocation another node forwarded, so that the node serves it itself (a cold start there);
     * such a request carries the cluster's credential, as a peer's does, or the node refuses it with 403.
     */
    static HttpRequest.Builder forwarded(HttpRequest.Builder b, String clusterSecret) {
        return b.header("X-Nest-Forwarded-By", "bench").header(dev.nest.cluster.ClusterCredential.HEADER,
                dev.nest.cluster.ClusterCredential.of(clusterSecret).header());
    }
}
