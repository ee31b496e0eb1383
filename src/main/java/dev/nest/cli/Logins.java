package dev.nest.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.common.Json;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The tokens saved by {@code nest login}, one per server, in {@value #FILE} in the user's config directory
 * ({@code $XDG_CONFIG_HOME/nest/}, else {@code ~/.config/nest/}): {@code {"servers": {"http://host:8080": "nest_..."}}}.
 *
 * <p>The directory is created with mode 0700 and the file with 0600, at creation (the file is written as a temporary
 * file with those permissions, then renamed over the old one), so the secrets are never readable by others, not even
 * for a moment; an existing directory with wider permissions is narrowed to 0700. On a file system without POSIX
 * permissions the files are written with its defaults. A file that is not valid JSON reads as empty and is
 * replaced on the next save. Not safe against two {@code nest login} at the same moment (the last one wins).
 */
final class Logins {
    static final String FILE = "credentials.json";
    private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");

    private final Path dir;

    /** @param dir the directory of {@value #FILE} (see {@link #directory}) */
    Logins(Path dir) {
        this.dir = dir;
    }

    /** {@code $XDG_CONFIG_HOME/nest}, else {@code $HOME/.config/nest}, else {@code <user.home>/.config/nest}. */
    static Path directory(Map<String, String> env) {
        String xdg = env.getOrDefault("XDG_CONFIG_HOME", "");
        if (!xdg.isBlank() && Path.of(xdg).isAbsolute()) {
            return Path.of(xdg, "nest");
        }
        String home = env.getOrDefault("HOME", "");
        return Path.of(home.isBlank() ? System.getProperty("user.home") : home, ".config", "nest");
    }

    Path file() {
        return dir.resolve(FILE);
    }

    /** The token saved for {@code server}, if any. */
    Optional<String> token(String server) {
        JsonNode t = read().path("servers").path(key(server));
        return t.isTextual() && !t.asText().isBlank() ? Optional.of(t.asText().strip()) : Optional.empty();
    }

    /** Saves {@code token} for {@code server}, replacing the one saved before. */
    void save(String server, String token) {
        ObjectNode doc = read();
        JsonNode servers = doc.path("servers");
        ObjectNode s = servers.isObject() ? (ObjectNode) servers : doc.putObject("servers");
        s.put(key(server), token);
        try {
            boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
            if (!Files.isDirectory(dir)) {
                if (posix) {
                    Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(DIR_MODE));
                } else {
                    Files.createDirectories(dir);
                }
            }
            if (posix && !Files.getPosixFilePermissions(dir).equals(DIR_MODE)) {
                Files.setPosixFilePermissions(dir, DIR_MODE);
            }
            FileAttribute<?>[] attrs = posix ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(FILE_MODE)}
                    : new FileAttribute<?>[0];
            Path tmp = Files.createTempFile(dir, FILE, ".tmp", attrs);
            try {
                Files.write(tmp, Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(doc));
                Files.move(tmp, file(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new CliException("cannot save the token in " + file() + ": " + e.getMessage());
        }
    }

    private ObjectNode read() {
        try {
            if (Files.isRegularFile(file())) {
                JsonNode n = CliJson.read(Files.readAllBytes(file()));
                if (n != null && n.isObject()) {
                    return (ObjectNode) n;
                }
            }
        } catch (IOException e) {
            // unreadable or not JSON: as if empty
        }
        return com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    }

    /**
     * A server's key: scheme, host and port, lower case, the port filled in ({@code http://LOCALHOST:8080/} and
     * {@code http://localhost:8080} are one server), and the path without its trailing slash.
     */
    static String key(String server) {
        URI u;
        try {
            u = URI.create(server.strip());
        } catch (IllegalArgumentException e) {
            throw new CliException("'" + server + "' is not a server URL such as http://127.0.0.1:8080");
        }
        if (u.getScheme() == null || u.getHost() == null) {
            throw new CliException("'" + server + "' is not a server URL such as http://127.0.0.1:8080");
        }
        String scheme = u.getScheme().toLowerCase(Locale.ROOT);
        int port = u.getPort() >= 0 ? u.getPort() : scheme.equals("https") ? 443 : 80;
        String path = u.getRawPath() == null ? "" : u.getRawPath().replaceAll("/+$", "");
        return scheme + "://" + u.getHost().toLowerCase(Locale.ROOT) + ":" + port + path;
    }
}
