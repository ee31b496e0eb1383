package dev.nest.api;

import dev.nest.common.NestException;
import dev.nest.function.FunctionId;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import java.io.IOException;
import java.io.InputStream;

/** Reading what the admin API's requests carry: the function in the path, bodies, the caller, query limits. */
final class Requests {
    private Requests() {
    }

    /** The function named by the {@code {name}} path parameter and {@code ?namespace=} (default {@code default}). */
    static FunctionId function(ServerRequest req) {
        String ns = req.query().first("namespace").orElse(FunctionId.DEFAULT_NAMESPACE);
        try {
            return FunctionId.of(ns, req.path().pathParameters().get("name"));
        } catch (IllegalArgumentException e) {
            throw NestException.badRequest(e.getMessage());
        }
    }

    /** The namespace of a function written {@code namespace/name} (as records name it). */
    static String namespaceOf(String function) {
        int slash = function.indexOf('/');
        return slash < 0 ? FunctionId.DEFAULT_NAMESPACE : function.substring(0, slash);
    }

    static String param(ServerRequest req, String name) {
        return req.path().pathParameters().get(name);
    }

    /** The whole request body; a read failure is a 400. */
    static byte[] body(ServerRequest req) {
        try (InputStream in = req.content().inputStream()) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw NestException.badRequest("cannot read the request body: " + e.getMessage());
        }
    }

    /** Who made a change, for the audit log: {@code cli} for the Nest CLI, else {@code api}. */
    static String source(ServerRequest req) {
        return req.headers().first(HeaderNames.USER_AGENT).filter(a -> a.startsWith("nest-cli"))
                .map(a -> "cli").orElse("api");
    }

    /** {@code ?limit=}: 1 to 999999, {@code dflt} when absent. */
    static int limit(ServerRequest req, int dflt) {
        String v = req.query().first("limit").orElse(String.valueOf(dflt));
        if (!v.matches("\\d{1,6}") || Integer.parseInt(v) < 1) {
            throw NestException.badRequest("query parameter 'limit': value '" + v + "' is not valid; allowed: 1 to 999999");
        }
        return Integer.parseInt(v);
    }

    /** A {@code ?package=} filter: {@code sha256:<64 hex>} or the bare hex. */
    static String packageDigest(String given) {
        String hex = given.startsWith("sha256:") ? given.substring(7) : given;
        if (!hex.matches("[0-9a-f]{64}")) {
            throw NestException.badRequest("package '" + given + "' is not a package digest; give sha256:<64 lowercase hex "
                    + "digits> as the upload answered it");
        }
        return "sha256:" + hex;
    }
}
