package dev.nest.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.auth.Action;
import dev.nest.auth.Authorizer;
import dev.nest.auth.Expiry;
import dev.nest.auth.IssuedToken;
import dev.nest.auth.NewToken;
import dev.nest.auth.Role;
import dev.nest.auth.TokenStore;
import dev.nest.common.Json;
import dev.nest.common.NestException;
import dev.nest.common.Rate;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The token endpoints of the admin API, for admins only:
 * <ul>
 *   <li>{@code POST /api/v1/tokens} {@code {"name", "role", "namespaces": [...], "expires": "30d"}} -> 201 with the
 *       token and its {@code secret}, shown this once ({@code namespaces} defaults to {@code ["*"]} for an admin
 *       token only; {@code expires} to never, see {@link Expiry}; an optional {@code "rate": "50/s"} (or
 *       {@code /m}, {@code /h}: {@link Rate}) limits how fast the token may invoke functions, enforced by the gateways);</li>
 *   <li>{@code GET /api/v1/tokens} -> {@code {"tokens": [...]}}, without secrets;</li>
 *   <li>{@code DELETE /api/v1/tokens/{name}} -> {@code {"revoked": name}}: every node refuses it within a second.</li>
 * </ul>
 * Each handler requires a principal with {@link Action#ADMIN} from {@link AuthFilter} (and refuses without one, so
 * the routes stay closed if the filter is missing). Errors are {@link NestException}s for the server's error mapper.
 * The secret is in the answer to the create only, with {@code Cache-Control: no-store}.
 */
record TokenRoutes(TokenStore store, Clock clock) implements ResourceRoutes {
    static final String PATH = AdminRoutes.PREFIX + "/tokens";
    private static final int MAX_BODY = 64 * 1024;

    @Override
    public String resource() {
        return "tokens";
    }

    @Override
    public void routing(HttpRouting.Builder r) {
        r.get(PATH, this::list);
        r.post(PATH, this::create);
        r.delete(PATH + "/{name}", this::revoke);
    }

    private static void requireAdmin(ServerRequest req) {
        Authorizer.check(AuthFilter.principal(req), Action.ADMIN, Optional.empty());
    }

    private void list(ServerRequest req, ServerResponse res) {
        requireAdmin(req);
        ObjectNode out = Json.mapper().createObjectNode();
        ArrayNode tokens = out.putArray("tokens");
        store.list().forEach(t -> tokens.add(t.toJson()));
        json(res, 200, out);
    }

    private void create(ServerRequest req, ServerResponse res) {
        requireAdmin(req);
        JsonNode body = Json.tree(body(req), "request body");
        if (!body.isObject()) {
            throw NestException.badRequest("the request body must be a JSON object like {\"name\": \"ci\", \"role\": "
                    + "\"developer\", \"namespaces\": [\"shop\"], \"expires\": \"90d\"}");
        }
        String name = text(body, "name").orElseThrow(() -> NestException.badRequest("key 'name': required; allowed: "
                + NewToken.NAME_ALLOWED));
        Role role = Role.parse("role", text(body, "role").orElseThrow(() -> NestException.badRequest(
                "key 'role': required; allowed: " + Role.ALLOWED)));
        List<String> namespaces = namespaces(body.get("namespaces"), role);
        Optional<Rate> rate = text(body, "rate").map(r -> {
            try {
                return Rate.parse(r);
            } catch (IllegalArgumentException e) {
                throw NestException.badRequest("key 'rate': value '" + r + "' is not valid; allowed: " + Rate.ALLOWED);
            }
        });
        IssuedToken issued = store.create(name, role, namespaces,
                Expiry.parse("expires", text(body, "expires").orElse("never"), clock), rate);
        ObjectNode out = issued.token().toJson();
        out.put("secret", issued.secret().reveal());
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        json(res, 201, out);
    }

    private static List<String> namespaces(JsonNode given, Role role) {
        if (given == null || given.isNull()) {
            if (role == Role.ADMIN) {
                return List.of("*");
            }
            throw NestException.badRequest("key 'namespaces': required for role " + role.key() + "; allowed: a list "
                    + "of namespace names or globs like [\"shop\", \"team-*\"], or [\"*\"] for all");
        }
        List<String> out = new ArrayList<>();
        if (given.isTextual()) {
            out.add(given.asText());
        } else if (given.isArray()) {
            given.forEach(n -> out.add(n.isTextual() ? n.asText() : n.toString()));
        } else {
            throw NestException.badRequest("key 'namespaces': value " + given + " is not valid; allowed: a list of "
                    + "namespace names or globs like [\"shop\", \"team-*\"], or [\"*\"] for all");
        }
        return out;
    }

    private void revoke(ServerRequest req, ServerResponse res) {
        requireAdmin(req);
        String name = req.path().pathParameters().get("name");
        store.revoke(name);
        ObjectNode out = Json.mapper().createObjectNode();
        out.put("revoked", name);
        json(res, 200, out);
    }

    private static Optional<String> text(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (!v.isTextual()) {
            throw NestException.badRequest("key '" + field + "': value " + v + " is not valid; allowed: a string");
        }
        return Optional.of(v.asText());
    }

    private static byte[] body(ServerRequest req) {
        try (InputStream in = req.content().inputStream()) {
            byte[] b = in.readNBytes(MAX_BODY + 1);
            if (b.length > MAX_BODY) {
                throw NestException.badRequest("the request body is larger than " + MAX_BODY + " bytes");
            }
            return b;
        } catch (IOException e) {
            throw NestException.badRequest("cannot read the request body: " + e.getMessage());
        }
    }

    private static void json(ServerResponse res, int status, JsonNode body) {
        Errors.json(res, status, body);
    }
}
