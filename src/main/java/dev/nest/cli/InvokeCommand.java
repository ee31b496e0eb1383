package dev.nest.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code nest fn invoke NAME}: calls a function through the gateway and prints its response.
 *
 * <p>Tokens: the call goes out without one. Only when the gateway itself answers that the function needs one (a 401
 * or 403 with {@value #TOKEN_REQUIRED}{@code : token}, a header the gateway sets and a function cannot: the gateway
 * drops every {@code x-nest-*} header of a function's answer) is it sent again with the token
 * ({@link Credentials}). So a public function never sees the caller's Nest token, and cannot ask for it. An
 * {@code Authorization} header given with {@code -H} is sent as it is, and never replaced.
 *
 * <p>{@code --async}: the function is invoked asynchronously ({@code X-Nest-Invocation-Type: async}, with
 * {@code Idempotency-Key} from {@code --idempotency-key}); the gateway answers 202 once the event is stored, and
 * this prints the invocation id and where its status is ({@code Location}). The token is checked when the event is
 * accepted, as for a synchronous call.
 */
@Command(name = "invoke", mixinStandardHelpOptions = true, description = "Call a function and print its response.")
final class InvokeCommand extends FnCommand.OfFunction {
    /** The gateway's header on a refused call to a function whose spec says {@code auth: token}. */
    static final String TOKEN_REQUIRED = "x-nest-auth";

    @Option(names = {"-d", "--data"}, description = "request body; @FILE reads a file (the method becomes POST)")
    String data;
    @Option(names = {"-X", "--method"}, description = "HTTP method (default GET, or POST with --data)")
    String method;
    @Option(names = "--path", description = "path after the function's URL, e.g. /users/1?x=2", defaultValue = "")
    String path;
    @Option(names = {"-H", "--header"}, description = "request header 'Name: value' (repeatable)")
    List<String> headers = new ArrayList<>();
    @Option(names = {"-v", "--verbose"}, description = "print status, headers, invocation id and phase timings")
    boolean verbose;
    @Option(names = "--async", description = "invoke asynchronously: print the invocation id once the event is stored")
    boolean async;
    @Option(names = "--idempotency-key", description = "with --async: a repeated key (24 h) gives the first event's id")
    String idempotencyKey;

    @Override
    int execute() {
        if (idempotencyKey != null && !async) {
            throw new CliException("--idempotency-key goes with --async; a synchronous call has no idempotency key");
        }
        ApiClient api = server.client();
        String p = path.isEmpty() || path.startsWith("/") || path.startsWith("?") ? path : "/" + path;
        String url = (server.namespace.equals("default") ? "/fn/" + name : "/ns/" + server.namespace + "/fn/" + name) + p;
        byte[] body = new byte[0];
        if (data != null) {
            try {
                body = data.startsWith("@") ? Files.readAllBytes(Path.of(data.substring(1))) : data.getBytes(StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new CliException("cannot read " + data.substring(1) + ": " + e.getMessage());
            }
        }
        String m = method != null ? method.toUpperCase() : data != null ? "POST" : "GET";
        HttpRequest.Builder b = api.request(url).method(m, body.length == 0 && data == null
                ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        boolean contentType = false;
        boolean userAuthorization = false;
        for (String h : headers) {
            int c = h.indexOf(':');
            if (c <= 0) {
                throw new CliException("header '" + h + "' is not 'Name: value'");
            }
            contentType |= h.substring(0, c).trim().equalsIgnoreCase("content-type");
            userAuthorization |= h.substring(0, c).trim().equalsIgnoreCase("authorization");
            b.header(h.substring(0, c).trim(), h.substring(c + 1).trim());
        }
        if (async) {
            b.header("X-Nest-Invocation-Type", "async");
            if (idempotencyKey != null) {
                b.header("Idempotency-Key", idempotencyKey);
            }
        }
        if (data != null && !contentType) {
            String t = new String(body, StandardCharsets.UTF_8).trim();
            b.header("Content-Type", t.startsWith("{") || t.startsWith("[") ? "application/json" : "text/plain");
        }
        HttpResponse<byte[]> r = api.sendAnonymous(b);
        boolean needsToken = r.headers().firstValue(TOKEN_REQUIRED).filter("token"::equalsIgnoreCase).isPresent();
        if (needsToken && (r.statusCode() == 401 || r.statusCode() == 403) && api.hasToken() && !userAuthorization) {
            r = api.send(b);
        }
        if (needsToken && (r.statusCode() == 401 || r.statusCode() == 403) && !userAuthorization) {
            spec.commandLine().getErr().println(api.hint(r.statusCode()).strip());
        }
        String id = r.headers().firstValue("x-nest-invocation-id").orElse("");
        if (async && r.statusCode() == 202) {
            out().println("Accepted invocation " + id);
            out().println("Location: " + api.base() + r.headers().firstValue("location").orElse("/api/v1/invocations/" + id));
            return 0;
        }
        if (verbose) {
            out().println("HTTP " + r.statusCode() + "  invocation " + id
                    + (r.headers().firstValue("x-nest-cold").isPresent() ? "  (cold start)" : ""));
            r.headers().map().forEach((k, v) -> v.forEach(x -> out().println(k + ": " + x)));
            out().println();
        }
        out().println(new String(r.body(), StandardCharsets.UTF_8));
        if (verbose && !id.isEmpty()) {
            try {
                JsonNode inv = api.get("/api/v1/invocations/" + id).path("invocation");
                out().println("\nphases (ms): " + FnCommand.phases(inv.path("phases"))
                        + String.format(java.util.Locale.ROOT, "  total=%.2f", inv.path("durationMs").asDouble()));
            } catch (CliException e) {
                out().println("(phase timings unavailable: " + e.getMessage() + ")");
            }
        }
        return r.statusCode() >= 400 ? 1 : 0;
    }
}
