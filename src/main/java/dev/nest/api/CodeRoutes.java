package dev.nest.api;

import static dev.nest.api.AdminRoutes.PREFIX;

import dev.nest.common.NestException;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionRegistry;
import dev.nest.function.FunctionVersion;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code GET /api/v1/functions/{name}/versions/{version}/code}: the files of one version's code package (what the
 * web console's editor opens), and with {@code ?path=} one file's content. Reading code is a deployer's business
 * (developer role), as is reading packages.
 *
 * <p>Limits: the listing stops at {@link #MAX_FILES} files ({@code truncated: true}); a file above
 * {@link #MAX_FILE_BYTES} is refused with 413 (its size is in the listing). A {@code path} is relative, with
 * {@code /} between names; {@code ..}, absolute paths, empty names, backslashes and control characters are refused
 * (400) before the file system is asked, and what they name must be a regular file inside the package's directory,
 * reached without following a link (packages hold none: the store refuses them). Text files come back as UTF-8
 * ({@code encoding: "utf-8"}), anything else base64 ({@code encoding: "base64"}). When no node holds the package
 * any more the answer is 404. Runs on Helidon's request threads; may block while a package is fetched from a peer.
 */
record CodeRoutes(FunctionRegistry registry, VersionCode code) implements ResourceRoutes {
    /** At most this many files are listed. */
    static final int MAX_FILES = 2000;
    /** At most this many bytes of one file are returned. */
    static final long MAX_FILE_BYTES = 1L << 20;

    /** The listing. */
    record Listing(String function, int version, String digest, String runtime, List<FileEntry> files, boolean truncated) {
    }

    /** One file of a listing: its path in the package and its size. */
    record FileEntry(String path, long bytes) {
    }

    /** One file's content. */
    record FileContent(String function, int version, String path, long bytes, String encoding, String content) {
    }

    @Override
    public String resource() {
        return "code";
    }

    @Override
    public void routing(HttpRouting.Builder r) {
        r.get(PREFIX + "/functions/{name}/versions/{version}/code", this::code);
    }

    private void code(ServerRequest req, ServerResponse res) {
        FunctionId id = Requests.function(req);
        String v = Requests.param(req, "version");
        if (!v.matches("[1-9]\\d{0,8}")) {
            throw NestException.badRequest("path parameter 'version': value '" + v + "' is not valid; allowed: a version "
                    + "number (1, 2, ...)");
        }
        FunctionRecord r = registry.get(id).orElseThrow(() -> NestException.notFound("function", "no function " + id));
        FunctionVersion version = r.versions().get(Integer.parseInt(v));
        if (version == null) {
            throw NestException.notFound("version", "function " + id + " has no version " + v + "; its versions are "
                    + r.versions().keySet());
        }
        Path dir = code.directory(version.digest(), version.spec().runtime()).orElseThrow(() -> NestException.notFound(
                "package", "no node holds the code of " + id + " version " + v + " (" + version.digest() + ")"));
        java.util.Optional<String> path = req.query().first("path").asOptional();
        if (path.isPresent()) {
            Errors.json(res, 200, file(id, version, dir, path.get()));
        } else {
            Errors.json(res, 200, listing(id, version, dir));
        }
    }

    static Listing listing(FunctionId id, FunctionVersion version, Path dir) {
        List<FileEntry> files = new ArrayList<>();
        boolean truncated = false;
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.sorted()::iterator) {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (!a.isRegularFile()) {
                    continue;
                }
                if (files.size() == MAX_FILES) {
                    truncated = true;
                    break;
                }
                files.add(new FileEntry(relative(dir, p), a.size()));
            }
        } catch (IOException | UncheckedIOException e) {
            throw new NestException(500, "artifact store error", "cannot list the code of " + id + " version "
                    + version.version() + ": " + e.getMessage(), e);
        }
        return new Listing(id.toString(), version.version(), version.digest(), version.spec().runtime(), files, truncated);
    }

    static FileContent file(FunctionId id, FunctionVersion version, Path dir, String path) {
        Path f = resolve(dir, path);
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(f, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw NestException.notFound("file", "version " + version.version() + " of " + id + " has no file '" + path + "'");
        }
        if (!a.isRegularFile() || !inside(dir, f)) {
            throw NestException.notFound("file", "'" + path + "' is not a file of version " + version.version() + " of " + id);
        }
        if (a.size() > MAX_FILE_BYTES) {
            throw new NestException(413, "file too large", "'" + path + "' has " + a.size() + " bytes; at most "
                    + MAX_FILE_BYTES + " are shown");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(f);
        } catch (IOException e) {
            throw new NestException(500, "artifact store error", "cannot read '" + path + "': " + e.getMessage(), e);
        }
        try {
            String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
            return new FileContent(id.toString(), version.version(), path, bytes.length, "utf-8", text);
        } catch (CharacterCodingException e) {
            return new FileContent(id.toString(), version.version(), path, bytes.length, "base64",
                    Base64.getEncoder().encodeToString(bytes));
        }
    }

    /**
     * The file {@code path} names inside {@code dir}.
     *
     * @throws NestException 400 for a path that is not a plain relative one
     */
    static Path resolve(Path dir, String path) {
        if (path.isEmpty() || path.length() > 1024 || path.startsWith("/") || path.contains("\\")
                || path.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw badPath(path);
        }
        for (String name : path.split("/", -1)) {
            if (name.isEmpty() || name.equals(".") || name.equals("..")) {
                throw badPath(path);
            }
        }
        Path f = dir.resolve(path).normalize();
        if (!f.startsWith(dir.normalize())) {
            throw badPath(path);
        }
        return f;
    }

    /** Whether {@code f}, links resolved, is still inside {@code dir} (a linked folder on the way would leave it). */
    private static boolean inside(Path dir, Path f) {
        try {
            return f.toRealPath().startsWith(dir.toRealPath());
        } catch (IOException e) {
            return false;
        }
    }

    private static NestException badPath(String path) {
        return NestException.badRequest("query parameter 'path': value '" + path + "' is not valid; allowed: a file's "
                + "path in the package as the listing gives it (names separated by '/', no '..')");
    }

    private static String relative(Path dir, Path p) {
        StringBuilder b = new StringBuilder();
        for (Path name : dir.relativize(p)) {
            if (!b.isEmpty()) {
                b.append('/');
            }
            b.append(name);
        }
        return b.toString();
    }
}
