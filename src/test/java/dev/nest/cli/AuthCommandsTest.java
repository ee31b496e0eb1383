package dev.nest.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.nest.common.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The CLI against a fake server on a loopback port: the token goes out as a bearer header, a 401 or 403 says what
 * to do, the token never shows in what the CLI prints, {@code nest token create} prints the secret alone, and
 * {@code nest fn invoke} sends the token only to a function the gateway says needs one.
 */
class AuthCommandsTest {
    private static final String TOKEN = "nest_" + "S".repeat(49);

    /** A request the fake server saw. */
    record Seen(String method, String path, Optional<String> authorization, String body) {
    }

    /** An answer of the fake server: status, body, headers (names and values alternating). */
    record Answer(int status, String body, List<String> headers) {
        static Answer json(int status, String body, String... headers) {
            return new Answer(status, body, List.of(headers));
        }
    }

    private HttpServer server;
    private final BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
    private volatile Function<Seen, Answer> answers = s -> Answer.json(200, "{}");
    private String url;

    @BeforeEach
    void setUp() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
        url = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void tearDown() {
        server.stop(0);
    }

    private void handle(HttpExchange x) throws IOException {
        Seen s = new Seen(x.getRequestMethod(), x.getRequestURI().toString(),
                Optional.ofNullable(x.getRequestHeaders().getFirst("Authorization")),
                new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
        seen.add(s);
        Answer a = answers.apply(s);
        for (int i = 0; i < a.headers().size(); i += 2) {
            x.getResponseHeaders().add(a.headers().get(i), a.headers().get(i + 1));
        }
        x.getResponseHeaders().add("Content-Type", "application/json");
        byte[] body = a.body().getBytes(StandardCharsets.UTF_8);
        x.sendResponseHeaders(a.status(), body.length);
        x.getResponseBody().write(body);
        x.close();
    }

    private Seen next() throws InterruptedException {
        Seen s = seen.poll(10, TimeUnit.SECONDS);
        if (s == null) {
            throw new AssertionError("the server saw no request");
        }
        return s;
    }

    /** Exit code, standard output, standard error. */
    private record Run(int code, String out, String err) {
    }

    private Run run(Object command, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(command);
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void everyAdminCallCarriesTheToken() throws Exception {
        answers = s -> Answer.json(200, "{\"functions\": []}");
        assertEquals(0, run(new FnCommand(), "ls", "--server", url, "--token", TOKEN).code());
        assertEquals(Optional.of("Bearer " + TOKEN), next().authorization());
    }

    @Test
    void a401WithoutATokenSaysWhereItLookedAndHowToGetOne() {
        answers = s -> Answer.json(401, "{\"error\": \"unauthorized\", \"detail\": \"this endpoint needs a token\"}");
        ApiClient api = new ApiClient(url, Optional.empty(), "--token, NEST_TOKEN, ./data/admin.token");
        CliException e = assertThrows(CliException.class, () -> api.get("/api/v1/functions"));
        assertTrue(e.getMessage().startsWith("unauthorized: this endpoint needs a token\nhint: no token was sent"),
                e.getMessage());
        assertTrue(e.getMessage().contains("./data/admin.token"), e.getMessage());
        assertTrue(e.getMessage().contains("nest login --server " + url), e.getMessage());
        assertTrue(e.getMessage().contains("--token"), e.getMessage());
    }

    @Test
    void a401Or403NeverPrintsTheTokenEvenWhenTheServerRepeatsIt() throws Exception {
        for (int status : new int[] {401, 403}) {
            answers = s -> Answer.json(status, "{\"error\": \"no\", \"detail\": \"token " + TOKEN + " is not welcome\"}");
            Run r = run(new FnCommand(), "versions", "hello", "--server", url, "--token", TOKEN);
            assertEquals(1, r.code());
            assertFalse(r.err().contains(TOKEN), r.err());
            assertFalse(r.out().contains(TOKEN), r.out());
            assertTrue(r.err().contains("token <token> is not welcome"), r.err());
            assertTrue(r.err().contains("hint: the token from --token"), r.err());
            assertTrue(r.err().contains(status == 401 ? "not accepted" : "nest token create"), r.err());
            assertTrue(r.err().contains("nest login --server " + url), r.err());
        }
    }

    @Test
    void anUnreachableServerDoesNotPrintTheToken() {
        Run r = run(new FnCommand(), "ls", "--server", "http://127.0.0.1:1", "--token", TOKEN);
        assertEquals(1, r.code());
        assertFalse(r.err().contains(TOKEN), r.err());
        assertTrue(r.err().contains("cannot reach"), r.err());
    }

    @Test
    void tokenCreateSendsTheTokensRate() throws Exception {
        answers = s -> Answer.json(201, "{\"name\": \"ci\", \"role\": \"invoker\", \"namespaces\": [\"shop\"],"
                + " \"prefix\": \"nest_SSSSSSSS\", \"rate\": \"50/s\", \"secret\": \"" + TOKEN + "\"}");
        Run r = run(new TokenCommand(), "create", "ci", "--role", "invoker", "--namespace", "shop", "--rate", "50/s",
                "--server", url, "--token", "nest_admin");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("rate 50/s"), r.err());
        assertEquals(Json.tree("{\"name\":\"ci\",\"role\":\"invoker\",\"namespaces\":[\"shop\"],\"rate\":\"50/s\"}"
                .getBytes(), "x"), Json.tree(next().body().getBytes(), "body"));
    }

    @Test
    void tokenCreatePrintsTheSecretAloneOnStandardOutput() throws Exception {
        answers = s -> Answer.json(201, "{\"name\": \"ci\", \"role\": \"developer\", \"namespaces\": [\"team-a\", \"b\"],"
                + " \"prefix\": \"nest_SSSSSSSS\", \"expiresAt\": \"2027-01-01T00:00:00Z\", \"secret\": \"" + TOKEN + "\"}");
        Run r = run(new TokenCommand(), "create", "ci", "--role", "developer", "--namespace", "team-a",
                "--namespace", "b", "--expires", "30d", "--server", url, "--token", "nest_admin");
        assertEquals(0, r.code(), r.err());
        assertEquals(TOKEN + System.lineSeparator(), r.out());
        assertFalse(r.err().contains(TOKEN));
        assertTrue(r.err().contains("shown this once"), r.err());
        Seen s = next();
        assertEquals("POST /api/v1/tokens", s.method() + " " + s.path());
        assertEquals(Json.tree("{\"name\":\"ci\",\"role\":\"developer\",\"namespaces\":[\"team-a\",\"b\"],\"expires\":\"30d\"}"
                .getBytes(), "x"), Json.tree(s.body().getBytes(), "body"));
        assertEquals(Optional.of("Bearer nest_admin"), s.authorization());
    }

    @Test
    void tokenLsAndRevokeCallTheirRoutes() throws Exception {
        answers = s -> s.method().equals("GET")
                ? Answer.json(200, "{\"tokens\": [{\"name\": \"ci\", \"role\": \"viewer\", \"namespaces\": [\"a\"], "
                        + "\"prefix\": \"nest_abcdefgh\", \"createdAt\": \"2026-01-01T00:00:00Z\", \"expiresAt\": null, "
                        + "\"lastUsedAt\": null, \"rate\": null}, {\"name\": \"bot\", \"role\": \"invoker\", \"namespaces\": [\"a\"], "
                        + "\"prefix\": \"nest_bbbbbbbb\", \"createdAt\": \"2026-01-01T00:00:00Z\", \"expiresAt\": null, "
                        + "\"lastUsedAt\": null, \"rate\": \"600/m\"}]}")
                : Answer.json(200, "{\"revoked\": \"ci\"}");
        Run ls = run(new TokenCommand(), "ls", "--server", url, "--token", TOKEN);
        assertEquals(0, ls.code(), ls.err());
        assertTrue(ls.out().contains("ci") && ls.out().contains("nest_abcdefgh...") && ls.out().contains("never"), ls.out());
        List<String> lines = ls.out().lines().toList();
        assertEquals("RATE", lines.get(0).split("\\s+")[4], ls.out());
        assertEquals("-", lines.get(1).split("\\s+")[4], "a token without a rate: " + ls.out());
        assertEquals("600/m", lines.get(2).split("\\s+")[4], ls.out());
        assertEquals("GET /api/v1/tokens", next().method() + " /api/v1/tokens");
        Run revoke = run(new TokenCommand(), "revoke", "ci", "--server", url, "--token", TOKEN);
        assertEquals(0, revoke.code(), revoke.err());
        Seen s = next();
        assertEquals("DELETE /api/v1/tokens/ci", s.method() + " " + s.path());
    }

    @Test
    void invokeSendsNoTokenToAPublicFunction() throws Exception {
        answers = s -> new Answer(200, "hi", List.of());
        Run r = run(new FnCommand(), "invoke", "hello", "--server", url, "--token", TOKEN);
        assertEquals(0, r.code(), r.err());
        assertEquals(Optional.empty(), next().authorization());
        assertTrue(seen.isEmpty());
    }

    @Test
    void invokeSendsTheTokenAgainWhenTheGatewaySaysTheFunctionNeedsOne() throws Exception {
        answers = s -> s.authorization().isPresent() ? new Answer(200, "hi", List.of())
                : Answer.json(401, "{\"error\": \"unauthorized\"}", "WWW-Authenticate", "Bearer realm=\"nest\"",
                        "x-nest-auth", "token");
        Run r = run(new FnCommand(), "invoke", "hello", "--server", url, "--token", TOKEN);
        assertEquals(0, r.code(), r.err());
        assertEquals(Optional.empty(), next().authorization());
        assertEquals(Optional.of("Bearer " + TOKEN), next().authorization());
    }

    @Test
    void invokeDoesNotAnswerAChallengeThatDidNotComeFromTheGateway() throws Exception {
        answers = s -> Answer.json(401, "{}", "WWW-Authenticate", "Bearer realm=\"nest\"");
        Run r = run(new FnCommand(), "invoke", "hello", "--server", url, "--token", TOKEN);
        assertEquals(1, r.code());
        assertEquals(Optional.empty(), next().authorization());
        assertTrue(seen.isEmpty(), "no second call");
    }

    @Test
    void theTokenOptionIsSharedByEveryCommandThatTalksToAServer() {
        for (String command : List.of("ls", "deploy .", "invoke f", "versions f", "rollback f", "logs f",
                "invocations f", "delete f")) {
            List<String> args = new java.util.ArrayList<>(List.of(command.split(" ")));
            args.addAll(List.of("--token", "t"));
            CommandLine.ParseResult r = new CommandLine(new FnCommand()).parseArgs(args.toArray(String[]::new));
            assertTrue(r.subcommand().hasMatchedOption("--token"), command);
        }
        for (String command : List.of("create x --role viewer", "ls", "revoke x")) {
            List<String> args = new java.util.ArrayList<>(List.of(command.split(" ")));
            args.addAll(List.of("--token", "t"));
            CommandLine.ParseResult r = new CommandLine(new TokenCommand()).parseArgs(args.toArray(String[]::new));
            assertTrue(r.subcommand().hasMatchedOption("--token"), command);
        }
        assertThrows(CommandLine.UnmatchedArgumentException.class,
                () -> new CommandLine(new LoginCommand()).parseArgs("--token", "t"),
                "login never takes the token as an argument");
    }
}
