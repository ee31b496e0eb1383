package dev.nest.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.auth.Action;
import dev.nest.common.Json;
import dev.nest.common.NestException;
import dev.nest.function.FunctionCatalog;
import dev.nest.function.FunctionRecord;
import dev.nest.namespace.NamespaceQuota;
import dev.nest.namespace.NamespaceSettings;
import dev.nest.namespace.NamespaceStore;
import dev.nest.namespace.NamespaceUsage;
import dev.nest.namespace.UsageSource;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The namespace endpoints of the admin API: quotas and rate limits per namespace.
 * <ul>
 *   <li>{@code GET /api/v1/namespaces} -> {@code {"namespaces": [...]}}: every namespace that has settings or
 *       functions and that the caller's token covers, each with its settings and its {@code usage} (ready instances
 *       across the region and their memory);</li>
 *   <li>{@code GET /api/v1/namespaces/{name}} -> the same for one namespace (any role that reads, in scope); a
 *       namespace without settings answers with empty {@code quota} and {@code limits} (no limits);</li>
 *   <li>{@code PUT /api/v1/namespaces/{name}} {@code {"quota": {"instances": 10, "memory": "8Gi"}, "limits":
 *       {"rate": "100/s", "burst": 200}}} -> the settings as stored (admin only; replaces what was set);</li>
 *   <li>{@code DELETE /api/v1/namespaces/{name}} -> {@code {"cleared": name}} (admin only; 404 without settings).</li>
 * </ul>
 * Each handler checks the caller's role and namespace itself (the filter sees no namespace in the path); errors are
 * {@link NestException}s for the server's error mapper, a bad body a 400 listing every problem.
 */
record NamespaceRoutes(NamespaceStore store, FunctionCatalog functions, UsageSource usage, Clock clock)
        implements ResourceRoutes {
    static final String PATH = AdminRoutes.PREFIX + "/namespaces";
    private static final int MAX_BODY = 64 * 1024;

    @Override
    public String resource() {
        return "namespaces";
    }

    @Override
    public void routing(HttpRouting.Builder r) {
        r.get(PATH, this::list);
        r.get(PATH + "/{name}", this::get);
        r.put(PATH + "/{name}", this::put);
        r.delete(PATH + "/{name}", this::delete);
    }

    private void list(ServerRequest req, ServerResponse res) {
        AuthFilter.principal(req);
        TreeSet<String> names = new TreeSet<>();
        store.list().forEach(s -> names.add(s.namespace()));
        for (FunctionRecord f : functions.all()) {
            names.add(f.id().namespace());
        }
        ObjectNode out = Json.mapper().createObjectNode();
        ArrayNode list = out.putArray("namespaces");
        for (String ns : names) {
            if (AuthFilter.covers(req, ns)) {
                list.add(view(ns));
            }
        }
        Errors.json(res, 200, out);
    }

    private void get(ServerRequest req, ServerResponse res) {
        String ns = name(req);
        AuthFilter.check(req, Action.READ, ns);
        Errors.json(res, 200, view(ns));
    }

    private void put(ServerRequest req, ServerResponse res) {
        String ns = name(req);
        AuthFilter.check(req, Action.ADMIN, ns);
        NamespaceSettings settings;
        try {
            settings = NamespaceSettings.parse(ns, Json.tree(body(req), "request body"), clock.instant());
        } catch (IllegalArgumentException e) {
            throw NestException.badRequest(e.getMessage());
        }
        NamespaceSettings stored = store.put(settings);
        ObjectNode out = stored.toJson();
        out.set("usage", usage(ns));
        Errors.json(res, 200, out);
    }

    private void delete(ServerRequest req, ServerResponse res) {
        String ns = name(req);
        AuthFilter.check(req, Action.ADMIN, ns);
        store.delete(ns);
        ObjectNode out = Json.mapper().createObjectNode();
        out.put("cleared", ns);
        Errors.json(res, 200, out);
    }

    private ObjectNode view(String ns) {
        Optional<NamespaceSettings> s = store.get(ns);
        ObjectNode out;
        if (s.isPresent()) {
            out = s.get().toJson();
        } else {
            out = Json.mapper().createObjectNode();
            out.put("namespace", ns);
            out.putObject("quota");
            out.putObject("limits");
        }
        out.set("usage", usage(ns));
        return out;
    }

    private JsonNode usage(String ns) {
        NamespaceUsage u = usage.usage(ns);
        ObjectNode out = Json.mapper().createObjectNode();
        out.put("instances", u.instances());
        out.put("memory", NamespaceQuota.formatMemory(u.memoryMb()));
        out.put("memoryMb", u.memoryMb());
        return out;
    }

    private static String name(ServerRequest req) {
        String ns = Requests.param(req, "name");
        if (!NamespaceSettings.validName(ns)) {
            throw NestException.badRequest(NamespaceSettings.requireNameMessage(ns));
        }
        return ns;
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
}
