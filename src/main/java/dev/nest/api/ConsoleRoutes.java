package dev.nest.api;

import dev.nest.common.ErrorResponse;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The web console (ADR 0023): {@code GET /} and {@code GET /console} redirect to {@code /console/}, and
 * {@code GET /console/*} serves the static files the build bundled into the jar ({@link ConsoleFiles}). Open to
 * anyone: the files hold no data; the console asks for a token and sends it with every API call.
 *
 * <p>Hostile paths: the raw path (before percent-decoding) must be names of letters, digits, {@code .}, {@code _}
 * and {@code -}, each starting with a letter or digit, separated by single {@code /}: so no {@code ..}, no escapes,
 * no hidden files, no backslashes; anything else is a 404 before a file is looked up. Answers carry their content
 * type, {@code X-Content-Type-Options: nosniff}, a strict {@code Content-Security-Policy} (scripts, styles and API
 * calls from this origin only, no inline script, no framing; inline styles only from elements carrying the page's
 * nonce, a new random one per page, which the editor puts on the style elements it creates) and an {@code ETag}
 * (a request with a matching {@code If-None-Match} gets 304). Bundled files whose names carry a content hash are
 * cached for a year ({@code immutable}); the rest are revalidated ({@code no-cache}) and {@code index.html}, which
 * holds the nonce, is not stored ({@code no-store}), so a new jar's console is picked up at once. A jar built without the console ({@code -Dconsole.skip=true}) answers 404 saying so.
 * Stateless; runs on Helidon's request threads.
 */
record ConsoleRoutes(ConsoleFiles files, Supplier<String> nonces) implements ResourceRoutes {
    /** Serves {@code files}, with a random nonce per page. */
    ConsoleRoutes(ConsoleFiles files) {
        this(files, ConsoleRoutes::randomNonce);
    }

    /** Where the console is served. */
    static final String ROOT = "/console/";
    /** The policy on every console answer; the page's own adds its nonce to {@code style-src}. */
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; "
            + "frame-ancestors 'none'";
    /** Where index.html names its nonce (the editor gives it to the style elements it creates). */
    static final String NONCE_PLACEHOLDER = "%CSP_NONCE%";
    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}(/[A-Za-z0-9][A-Za-z0-9._-]{0,127}){0,7}");
    private static final Pattern HASHED = Pattern.compile(".*-[A-Z0-9]{8}\\.[a-z0-9]+");
    private static final Map<String, String> TYPES = Map.ofEntries(
            Map.entry("html", "text/html; charset=utf-8"),
            Map.entry("js", "text/javascript; charset=utf-8"),
            Map.entry("mjs", "text/javascript; charset=utf-8"),
            Map.entry("css", "text/css; charset=utf-8"),
            Map.entry("json", "application/json"),
            Map.entry("map", "application/json"),
            Map.entry("svg", "image/svg+xml"),
            Map.entry("png", "image/png"),
            Map.entry("ico", "image/x-icon"),
            Map.entry("txt", "text/plain; charset=utf-8"),
            Map.entry("woff2", "font/woff2"));

    /** What to answer: a status, headers (name, value, ...) and a body. */
    record Answer(int status, List<String> headers, byte[] body) {
    }

    @Override
    public String resource() {
        return "console";
    }

    @Override
    public void routing(HttpRouting.Builder r) {
        r.get("/", (req, res) -> redirect(res));
        r.get("/console", (req, res) -> redirect(res));
        r.get("/console/*", this::serve);
    }

    private static void redirect(ServerResponse res) {
        res.status(Status.FOUND_302);
        res.header(HeaderNames.LOCATION, ROOT);
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        res.send();
    }

    private void serve(ServerRequest req, ServerResponse res) {
        Answer a = answer(req.path().rawPath(), req.headers().first(HeaderNames.IF_NONE_MATCH));
        if (a.status() >= 400) {
            Errors.send(res, new ErrorResponse(a.status(), "not found", new String(a.body(), java.nio.charset.StandardCharsets.UTF_8)));
            return;
        }
        res.status(Status.create(a.status()));
        for (int i = 0; i + 1 < a.headers().size(); i += 2) {
            res.header(a.headers().get(i), a.headers().get(i + 1));
        }
        res.send(a.body());
    }

    /**
     * The answer to {@code GET rawPath} (a path under {@code /console/}, not decoded): a pure function of the path,
     * the request's {@code If-None-Match} and the files.
     */
    Answer answer(String rawPath, Optional<String> ifNoneMatch) {
        String rest = rawPath.startsWith(ROOT) ? rawPath.substring(ROOT.length()) : "";
        if (rest.isEmpty()) {
            rest = "index.html";
        }
        if (!SAFE.matcher(rest).matches()) {
            return notFound(rawPath + " is not a file of the console");
        }
        Optional<byte[]> body = files.read(rest);
        if (body.isEmpty()) {
            return notFound(rest.equals("index.html")
                    ? "this jar was built without the web console (-Dconsole.skip=true); build it with 'mvn package'"
                    : rawPath + " is not a file of the console");
        }
        if (rest.equals("index.html")) {
            // a fresh nonce per page: the editor's style elements carry it, nothing else inline may run or style
            String nonce = nonces.get();
            byte[] page = new String(body.get(), java.nio.charset.StandardCharsets.UTF_8).replace(NONCE_PLACEHOLDER, nonce)
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8);
            return new Answer(200, List.of("Content-Type", TYPES.get("html"), "Cache-Control", "no-store",
                    "Content-Security-Policy", CSP.replace("style-src 'self'", "style-src 'self' 'nonce-" + nonce + "'"),
                    "X-Content-Type-Options", "nosniff", "X-Frame-Options", "DENY", "Referrer-Policy", "no-referrer",
                    "Cross-Origin-Opener-Policy", "same-origin"), page);
        }
        String etag = "\"" + HexFormat.of().formatHex(sha256(body.get()), 0, 12) + "\"";
        String name = rest.substring(rest.lastIndexOf('/') + 1);
        String ext = name.lastIndexOf('.') < 0 ? "" : name.substring(name.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
        List<String> headers = List.of(
                "Content-Type", TYPES.getOrDefault(ext, "application/octet-stream"),
                "Cache-Control", HASHED.matcher(name).matches() ? "public, max-age=31536000, immutable" : "no-cache",
                "ETag", etag,
                "Content-Security-Policy", CSP,
                "X-Content-Type-Options", "nosniff",
                "X-Frame-Options", "DENY",
                "Referrer-Policy", "no-referrer",
                "Cross-Origin-Opener-Policy", "same-origin");
        if (ifNoneMatch.isPresent() && List.of(ifNoneMatch.get().split("\\s*,\\s*")).contains(etag)) {
            return new Answer(304, headers, new byte[0]);
        }
        return new Answer(200, headers, body.get());
    }

    /** 128 random bits, base64url. */
    static String randomNonce() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static Answer notFound(String detail) {
        return new Answer(404, List.of(), detail.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
