package dev.nest.cli;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which token the CLI sends to a server, the first found of:
 * <ol>
 *   <li>{@code --token};</li>
 *   <li>{@code NEST_TOKEN};</li>
 *   <li>the token {@code nest login} saved for that server ({@link Logins});</li>
 *   <li>only when the server's host is {@code 127.0.0.1}, {@code localhost} or {@code ::1}: the server's own first
 *       admin token, {@code admin.token} in its data directory, looked for in {@code $NEST_DATA}, then in
 *       {@code ./data} (where the quick start's server keeps it when started from the same directory).</li>
 * </ol>
 * A pure function of its inputs (the environment and the working directory are given), so tests choose them.
 * The token itself is never part of a message: {@link Found#toString} names only where it came from.
 */
final class Credentials {
    static final String ENV_TOKEN = "NEST_TOKEN";
    static final String ENV_DATA = "NEST_DATA";
    static final String ADMIN_TOKEN_FILE = "admin.token";
    private static final Set<String> LOOPBACK = Set.of("127.0.0.1", "localhost", "::1", "[::1]");

    /** A token and where it came from ("--token", "NEST_TOKEN", "nest login (FILE)", "./data/admin.token"). */
    record Found(String token, String source) {
        @Override
        public String toString() {
            return "token from " + source;
        }
    }

    private final Map<String, String> env;
    private final Path workDir;
    private final Logins logins;

    Credentials(Map<String, String> env, Path workDir, Logins logins) {
        this.env = Map.copyOf(env);
        this.workDir = workDir;
        this.logins = logins;
    }

    /** The token for {@code server}, if one is found; {@code flag} is {@code --token}'s value. */
    Optional<Found> find(Optional<String> flag, String server) {
        Optional<String> f = flag.map(String::strip).filter(s -> !s.isEmpty());
        if (f.isPresent()) {
            return Optional.of(new Found(f.get(), "--token"));
        }
        String e = env.getOrDefault(ENV_TOKEN, "").strip();
        if (!e.isEmpty()) {
            return Optional.of(new Found(e, ENV_TOKEN));
        }
        Optional<String> saved = logins.token(server);
        if (saved.isPresent()) {
            return Optional.of(new Found(saved.get(), "nest login (" + logins.file() + ")"));
        }
        if (loopback(server)) {
            for (Path p : adminTokenFiles()) {
                Optional<String> t = read(p);
                if (t.isPresent()) {
                    return Optional.of(new Found(t.get(), p.toString()));
                }
            }
        }
        return Optional.empty();
    }

    /** What {@link #find} looked at, for the message when it found nothing. */
    String searched(String server) {
        List<String> places = new ArrayList<>(List.of("--token", ENV_TOKEN, "nest login for " + server + " ("
                + logins.file() + ")"));
        if (loopback(server)) {
            adminTokenFiles().forEach(p -> places.add(p.toString()));
        } else {
            places.add("(admin.token is read only for a server on 127.0.0.1, localhost or ::1)");
        }
        return String.join(", ", places);
    }

    /** {@code $NEST_DATA/admin.token} (when set), then {@code ./data/admin.token}. */
    List<Path> adminTokenFiles() {
        List<Path> files = new ArrayList<>();
        String data = env.getOrDefault(ENV_DATA, "").strip();
        if (!data.isEmpty()) {
            files.add(workDir.resolve(data).resolve(ADMIN_TOKEN_FILE));
        }
        files.add(workDir.resolve("data").resolve(ADMIN_TOKEN_FILE));
        return files;
    }

    /** Whether the server's host is this machine's loopback address by name. */
    static boolean loopback(String server) {
        try {
            String host = URI.create(server.strip()).getHost();
            return host != null && LOOPBACK.contains(host.toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static Optional<String> read(Path p) {
        try {
            if (Files.isRegularFile(p) && Files.isReadable(p)) {
                String t = Files.readString(p).strip();
                return t.isEmpty() ? Optional.empty() : Optional.of(t);
            }
        } catch (IOException e) {
            // not readable by this user: look further
        }
        return Optional.empty();
    }
}
