package dev.nest.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The console's static files: redirects, types, caching, the security headers, and hostile paths. */
class ConsoleRoutesTest {
    @TempDir
    Path dir;

    private static final Map<String, byte[]> FILES = Map.of(
            "index.html", "<!doctype html><meta name=\"nest-csp-nonce\" content=\"%CSP_NONCE%\"><title>Nest</title>"
                    .getBytes(StandardCharsets.UTF_8),
            "assets/main-AB12CD34.js", "console.log(1)".getBytes(StandardCharsets.UTF_8),
            "assets/main-AB12CD34.css", "body{}".getBytes(StandardCharsets.UTF_8),
            "favicon.svg", "<svg/>".getBytes(StandardCharsets.UTF_8));
    private final ConsoleRoutes routes = new ConsoleRoutes(p -> Optional.ofNullable(FILES.get(p)), () -> "n0nce");

    private static String header(ConsoleRoutes.Answer a, String name) {
        for (int i = 0; i + 1 < a.headers().size(); i += 2) {
            if (a.headers().get(i).equalsIgnoreCase(name)) {
                return a.headers().get(i + 1);
            }
        }
        return "";
    }

    @Test
    void theRootIsIndexHtmlWithAFreshNonceNeverStored() {
        ConsoleRoutes.Answer a = routes.answer("/console/", Optional.empty());
        assertEquals(200, a.status());
        assertEquals("text/html; charset=utf-8", header(a, "Content-Type"));
        assertEquals("no-store", header(a, "Cache-Control"));
        assertEquals(ConsoleRoutes.CSP.replace("style-src 'self'", "style-src 'self' 'nonce-n0nce'"),
                header(a, "Content-Security-Policy"));
        assertTrue(new String(a.body(), StandardCharsets.UTF_8).contains("content=\"n0nce\""));
        assertFalse(ConsoleRoutes.CSP.contains("unsafe"));
        assertFalse(ConsoleRoutes.randomNonce().equals(ConsoleRoutes.randomNonce()));
        assertTrue(ConsoleRoutes.randomNonce().matches("[A-Za-z0-9_-]{22}"));
        assertEquals("nosniff", header(a, "X-Content-Type-Options"));
        assertEquals("DENY", header(a, "X-Frame-Options"));
    }

    @Test
    void hashedFilesAreImmutableAndTyped() {
        ConsoleRoutes.Answer js = routes.answer("/console/assets/main-AB12CD34.js", Optional.empty());
        assertEquals("text/javascript; charset=utf-8", header(js, "Content-Type"));
        assertEquals("public, max-age=31536000, immutable", header(js, "Cache-Control"));
        assertEquals("text/css; charset=utf-8", header(routes.answer("/console/assets/main-AB12CD34.css", Optional.empty()),
                "Content-Type"));
        ConsoleRoutes.Answer svg = routes.answer("/console/favicon.svg", Optional.empty());
        assertEquals("image/svg+xml", header(svg, "Content-Type"));
        assertEquals("no-cache", header(svg, "Cache-Control"));
    }

    @Test
    void aMatchingETagIsA304WithoutBody() {
        String etag = header(routes.answer("/console/favicon.svg", Optional.empty()), "ETag");
        assertTrue(etag.startsWith("\"") && etag.length() > 10, etag);
        ConsoleRoutes.Answer again = routes.answer("/console/favicon.svg", Optional.of("\"x\", " + etag));
        assertEquals(304, again.status());
        assertEquals(0, again.body().length);
        assertEquals(200, routes.answer("/console/favicon.svg", Optional.of("\"other\"")).status());
    }

    @ParameterizedTest
    @ValueSource(strings = {"/console/../pom.xml", "/console/..", "/console/assets/../index.html", "/console/%2e%2e/x",
            "/console/..%2f..%2fetc%2fpasswd", "/console/.hidden", "/console//index.html", "/console/assets/",
            "/console/a\\b", "/console/index.html%00", "/console/nope.js", "/console/assets/main-AB12CD34.js/x",
            "/console/%69ndex.html", "/console/index.html?x=/../"})
    void hostilePathsAndUnknownFilesAre404(String path) {
        assertEquals(404, routes.answer(path, Optional.empty()).status(), path);
    }

    @Test
    void aJarWithoutTheConsoleSaysHowToBuildIt() {
        ConsoleRoutes.Answer a = new ConsoleRoutes(p -> Optional.empty()).answer("/console/", Optional.empty());
        assertEquals(404, a.status());
        assertTrue(new String(a.body(), StandardCharsets.UTF_8).contains("console.skip"));
    }

    @Test
    void overHttpTheConsoleIsOpenAndTheRootRedirectsToIt() {
        try (AdminApiFixture fixture = new AdminApiFixture(dir).start()) {
            fixture.consoleFiles.putAll(FILES);
            for (String path : List.of("/", "/console")) {
                HttpResponse<String> r = fixture.sendAsIs(HttpRequest.newBuilder(fixture.uri(path)).GET().build());
                assertEquals(302, r.statusCode(), path);
                assertEquals("/console/", r.headers().firstValue("Location").orElse(""), path);
            }
            HttpResponse<String> index = fixture.sendAsIs(HttpRequest.newBuilder(fixture.uri("/console/")).GET().build());
            assertEquals(200, index.statusCode(), index::body);
            assertTrue(index.body().contains("<title>Nest</title>"));
            assertTrue(index.headers().firstValue("Content-Security-Policy").orElse("").startsWith("default-src 'none'"));
            HttpResponse<String> js = fixture.sendAsIs(HttpRequest.newBuilder(fixture.uri("/console/assets/main-AB12CD34.js"))
                    .GET().build());
            assertEquals(200, js.statusCode());
            // an unknown file is a 404 without a token; the rest of the server still wants one
            assertEquals(404, fixture.sendAsIs(HttpRequest.newBuilder(fixture.uri("/console/nope.html")).GET().build()).statusCode());
            assertEquals(401, fixture.sendAsIs(HttpRequest.newBuilder(fixture.uri("/elsewhere")).GET().build()).statusCode());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"/console/../api/v1/tokens", "/console/%2e%2e/api/v1/tokens", "/console/..%2fapi%2fv1%2ftokens",
            "/console/%2e%2e%2f%2e%2e%2fetc/passwd", "/console/..;/api/v1/tokens"})
    void overHttpAPathOutOfTheConsoleReachesNoTokenRouteWithoutAToken(String path) throws IOException {
        try (AdminApiFixture fixture = new AdminApiFixture(dir).start()) {
            fixture.consoleFiles.putAll(FILES);
            String head = raw(fixture.uri("/").getPort(), path);
            int status = Integer.parseInt(head.substring(9, 12));
            assertTrue(status == 400 || status == 401 || status == 404, path + " -> " + head);
            assertFalse(head.contains("\"tokens\""), head);
        }
    }

    /** Sends {@code GET path} exactly as written (no client normalizes it) and returns the answer's head and body start. */
    private static String raw(int port, String path) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[8192];
            int n = in.read(buf);
            return n <= 0 ? "" : new String(buf, 0, n, StandardCharsets.ISO_8859_1);
        }
    }
}
