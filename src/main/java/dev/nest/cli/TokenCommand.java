package dev.nest.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code nest token create|ls|revoke}: an admin's management of the API tokens ({@code /api/v1/tokens}). The secret
 * of a new token is printed once, alone on standard output, so that it can be captured
 * ({@code T=$(nest token create ci --role developer --namespace shop)}); everything else goes to standard error.
 */
@Command(name = "token", mixinStandardHelpOptions = true, description = "Manage API tokens (admin).",
        subcommands = {TokenCommand.Create.class, TokenCommand.Ls.class, TokenCommand.Revoke.class})
public final class TokenCommand implements Runnable {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = {"Create a token and print its secret (shown this once) on standard output.",
                    "Roles: viewer (read), invoker (invoke token functions), developer (read, invoke, logs, deploy), "
                            + "admin (everything, tokens too)."})
    static final class Create extends FnCommand.Base {
        @Parameters(index = "0", description = "the token's name (unique)")
        String name;
        @Option(names = "--role", required = true, description = "viewer, invoker, developer or admin")
        String role;
        @Option(names = {"-n", "--namespace"}, paramLabel = "NS", arity = "1..*",
                description = "namespaces (names or globs like team-*, * for all) it covers; repeatable; "
                        + "required except for an admin token, which covers all by default")
        List<String> namespaces = new ArrayList<>();
        @Option(names = "--expires", description = "lifetime such as 30d, 12h, or never (default: never)")
        String expires;
        @Option(names = "--rate", description = "how fast the token may invoke functions, such as 50/s, 600/m or "
                + "1000/h; bursts up to the count (default: no limit of its own)")
        String rate;
        @Mixin
        Remote remote;

        @Override
        int execute() {
            JsonNode r = remote.client().post("/api/v1/tokens", body());
            String secret = r.path("secret").asText(r.path("token").asText(""));
            if (secret.isEmpty()) {
                throw new CliException("the server created token '" + name + "' but sent no secret back; revoke it "
                        + "with 'nest token revoke " + name + "' and create it again");
            }
            out().println(secret);
            out().flush();
            spec.commandLine().getErr().println("Created token '" + r.path("name").asText(name) + "' (role "
                    + r.path("role").asText(role) + ", namespaces " + r.path("namespaces") + ", expires "
                    + (r.path("expiresAt").isTextual() ? r.path("expiresAt").asText() : "never")
                    + (r.path("rate").isTextual() ? ", rate " + r.path("rate").asText() : "")
                    + "). Its secret is shown this once; on another machine: nest login --server "
                    + remote.url(System.getenv()));
            return 0;
        }

        Map<String, Object> body() {
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("name", name);
            b.put("role", role);
            if (!namespaces.isEmpty()) {
                b.put("namespaces", namespaces);
            }
            if (expires != null) {
                b.put("expires", expires);
            }
            if (rate != null) {
                b.put("rate", rate);
            }
            return b;
        }
    }

    @Command(name = "ls", mixinStandardHelpOptions = true, description = "List tokens (never their secrets).")
    static final class Ls extends FnCommand.Base {
        @Mixin
        Remote remote;
        @Mixin
        Output output;

        @Override
        int execute() {
            JsonNode doc = remote.client().get("/api/v1/tokens");
            if (output.printed(out(), doc)) {
                return 0;
            }
            Table t = new Table(out(), " ", -20, -10, -20, -16, -10, -20, -20, 0)
                    .row("NAME", "ROLE", "NAMESPACES", "PREFIX", "RATE", "CREATED", "EXPIRES", "LAST USED");
            for (JsonNode tok : doc.path("tokens")) {
                List<String> ns = new ArrayList<>();
                tok.path("namespaces").forEach(n -> ns.add(n.asText()));
                t.row(tok.path("name").asText(), tok.path("role").asText(), String.join(",", ns),
                        tok.path("prefix").asText() + "...", text(tok.path("rate"), "-"), tok.path("createdAt").asText(),
                        text(tok.path("expiresAt"), "never"), text(tok.path("lastUsedAt"), "never"));
            }
            return 0;
        }

        private static String text(JsonNode n, String otherwise) {
            return n.isTextual() ? n.asText() : otherwise;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = "Revoke a token: every node refuses it within a second.")
    static final class Revoke extends FnCommand.Base {
        @Parameters(index = "0", description = "the token's name")
        String name;
        @Mixin
        Remote remote;

        @Override
        int execute() {
            remote.client().delete("/api/v1/tokens/" + URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20"));
            out().println("Revoked token '" + name + "'");
            return 0;
        }
    }
}
