package dev.nest.cli;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The options of every command that talks to a server: which server, and which token (see {@link Credentials} for
 * where a token is looked for when {@code --token} is not given; see {@link CliTrust} for what an {@code https} server
 * is trusted with, {@code NEST_CA}). The process's environment and working directory
 * are read here, at the edge, and nowhere else.
 */
class Remote {
    static final String DEFAULT_SERVER = "http://127.0.0.1:8080";

    @Option(names = "--server", description = "server URL (default: $NEST_SERVER, else " + DEFAULT_SERVER + "); an "
            + "https URL is checked with the JDK's trust store plus the PEM certificates of $NEST_CA")
    String server;
    @Option(names = "--token", description = "API token (default: $NEST_TOKEN, else the one saved by 'nest login' for "
            + "the server, else, for a server on this machine, $NEST_DATA/admin.token or ./data/admin.token)")
    String token;

    /** The server URL: {@code --server}, else {@code NEST_SERVER}, else {@value #DEFAULT_SERVER}. */
    String url(Map<String, String> env) {
        if (server != null && !server.isBlank()) {
            return server.strip();
        }
        return Optional.ofNullable(env.get("NEST_SERVER")).filter(s -> !s.isBlank()).map(String::strip)
                .orElse(DEFAULT_SERVER);
    }

    /** A client for the server, with the token found for it. */
    ApiClient client() {
        return client(System.getenv(), Path.of("").toAbsolutePath());
    }

    ApiClient client(Map<String, String> env, Path workDir) {
        String url = url(env);
        Credentials credentials = new Credentials(env, workDir, new Logins(Logins.directory(env)));
        return new ApiClient(url, credentials.find(Optional.ofNullable(token), url), credentials.searched(url),
                CliTrust.fromEnv(env));
    }
}
