package dev.nest.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line as a user runs it: {@code java -jar nest.jar server ...} as a child process, and every
 * {@code nest fn ...} command as its own process, with its stdout, stderr and exit code checked. The steps
 * build on each other (init, deploy, invoke, change, rollback), so they run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CliIT {
    static final Duration STARTUP = Duration.ofSeconds(60);

    @TempDir
    static Path serverDir;
    @TempDir
    static Path work;

    static Process server;
    static String url;
    static Http http;

    /** On a failure, the server's log tail goes to stderr (the temp directory is gone afterwards). */
    @RegisterExtension
    static final TestWatcher SERVER_LOG_ON_FAILURE = new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            List<String> lines = read(serverDir.resolve("server.log")).lines().toList();
            System.err.println("--- last lines of the nest.jar server log (" + context.getDisplayName() + " failed) ---");
            lines.subList(Math.max(0, lines.size() - 60), lines.size()).forEach(System.err::println);
        }
    };

    /** One finished CLI run. */
    record Run(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout ---\n" + out + "--- stderr ---\n" + err;
        }
    }

    @BeforeAll
    static void startServer() throws IOException {
        Engines.requireNode();
        assertTrue(Files.isRegularFile(Fixtures.nestJar()), Fixtures.nestJar() + " is missing; run mvn package first");
        int port = Fixtures.freePort();
        url = "http://127.0.0.1:" + port;
        http = new Http(url).withAdminTokenOf(serverDir.resolve("data"));
        Path functions = Files.createDirectories(serverDir.resolve("functions"));
        long t0 = System.nanoTime();
        server = new ProcessBuilder(Fixtures.javaBinary(), "-jar", Fixtures.nestJar().toString(), "server",
                "--port", String.valueOf(port), "--data", serverDir.resolve("data").toString(),
                "--functions", functions.toString(), "--runtimes", Fixtures.runtimesDir().toString())
                .directory(serverDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(serverDir.resolve("server.log").toFile())
                .start();
        awaitHealthy(server, http, serverDir.resolve("server.log"));
        System.out.printf("CliIT: java -jar nest.jar server was ready (GET /health 200) %d ms after launch%n",
                (System.nanoTime() - t0) / 1_000_000);
    }

    @AfterAll
    static void stopServer() {
        stop(server);
    }

    @Test
    @Order(1)
    void initWritesANodeTemplate() {
        Run r = cli("fn", "init", "hello", "--runtime", "nodejs");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("Created"), r::toString);
        assertTrue(Files.isRegularFile(work.resolve("hello/index.js")), "hello/index.js");
        assertTrue(Files.isRegularFile(work.resolve("hello/function.yaml")), "hello/function.yaml");
    }

    @Test
    @Order(2)
    void deployPrintsVersionAndUrl() {
        Run r = cli("fn", "deploy", "hello", "--server", url);
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("version 1"), r::toString);
        assertTrue(r.out().contains("URL: " + url + "/fn/hello"), r::toString);
    }

    @Test
    @Order(3)
    void invokePrintsTheTemplatesResponse() {
        JsonNode body = invokeHello(cli("fn", "invoke", "hello", "--server", url));
        assertEquals("Hello, world!", body.path("message").asText(), body::toString);
        assertEquals("1", body.path("version").asText(), body::toString);

        Run named = cli("fn", "invoke", "hello", "--server", url, "--path", "?name=Ada");
        assertEquals(0, named.exit(), named::toString);
        assertTrue(named.out().contains("Hello, Ada!"), named::toString);
    }

    @Test
    @Order(4)
    void lsListsTheFunction() {
        Run r = cli("fn", "ls", "--server", url);
        assertEquals(0, r.exit(), r::toString);
        String line = lineStartingWith(r, "hello ");
        assertTrue(line.contains("nodejs") && line.contains("ready"), line);
    }

    @Test
    @Order(5)
    void deployingAChangeMakesVersion2() throws IOException {
        Path index = work.resolve("hello/index.js");
        String js = Files.readString(index);
        assertTrue(js.contains("Hello, "), "template greets with Hello: " + js);
        Files.writeString(index, js.replace("Hello, ", "Hi, "));

        Run r = cli("fn", "deploy", "hello", "--server", url);
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("version 2"), r::toString);
        JsonNode body = invokeHello(cli("fn", "invoke", "hello", "--server", url));
        assertEquals("Hi, world!", body.path("message").asText(), body::toString);
        assertEquals("2", body.path("version").asText(), body::toString);
    }

    @Test
    @Order(6)
    void rollbackMakesVersion1LiveAgain() {
        Run r = cli("fn", "rollback", "hello", "--server", url);
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("live version is now 1"), r::toString);
        JsonNode body = invokeHello(cli("fn", "invoke", "hello", "--server", url));
        assertEquals("Hello, world!", body.path("message").asText(), body::toString);
        assertEquals("1", body.path("version").asText(), body::toString);
    }

    @Test
    @Order(7)
    void rollbackToANamedVersion() {
        Run r = cli("fn", "rollback", "hello", "--to", "2", "--server", url);
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().contains("live version is now 2"), r::toString);
        JsonNode body = invokeHello(cli("fn", "invoke", "hello", "--server", url));
        assertEquals("Hi, world!", body.path("message").asText(), body::toString);

        Run again = cli("fn", "deploy", "hello", "--server", url);
        assertEquals(0, again.exit(), again::toString);
        assertTrue(again.out().contains("unchanged") && again.out().contains("version 2"),
                "deploying the live code again makes no version: " + again);

        Run missing = cli("fn", "rollback", "hello", "--to", "9", "--server", url);
        assertNotEquals(0, missing.exit(), missing::toString);
        assertTrue(missing.err().contains("no version 9"), missing::toString);
    }

    @Test
    @Order(8)
    void versionsListsBothAndMarksTheLiveOne() {
        Run r = cli("fn", "versions", "hello", "--server", url);
        assertEquals(0, r.exit(), r::toString);
        String v1 = lineStartingWith(r, "1 ");
        String v2 = lineStartingWith(r, "2 ");
        assertTrue(v2.contains("*"), "version 2 is live: " + r);
        assertTrue(!v1.contains("*"), "version 1 is not live: " + r);
    }

    @Test
    @Order(8)
    void invocationsListsTheColdStartWithItsPhases() {
        Run r = cli("fn", "invocations", "hello", "--server", url, "--limit", "50");
        assertEquals(0, r.exit(), r::toString);
        assertTrue(r.out().lines().findFirst().orElse("").startsWith("STARTED"), "a header line: " + r);
        String cold = r.out().lines().filter(l -> l.contains(" yes ")).findFirst()
                .orElseThrow(() -> new AssertionError("a cold invocation in " + r));
        assertTrue(cold.contains("queue=") && cold.contains("load=") && cold.contains("exec="), cold);
    }

    @Test
    @Order(9)
    void logsShowTheTemplatesLogLine() {
        Run r = Poll.until("'greeting world' in nest fn logs hello", () -> cli("fn", "logs", "hello", "--server", url),
                x -> x.exit() != 0 || x.out().contains("greeting world"));
        assertEquals(0, r.exit(), r::toString);
        String line = r.out().lines().filter(l -> l.contains("greeting world")).findFirst().orElseThrow();
        assertTrue(line.contains("INFO"), line);
    }

    @Test
    @Order(10)
    void javaTemplateDeploysAndAnswers() {
        Run init = cli("fn", "init", "hj", "--runtime", "java");
        assertEquals(0, init.exit(), init::toString);
        assertTrue(Files.isRegularFile(work.resolve("hj/Handler.java")), "hj/Handler.java");
        Run deploy = cli("fn", "deploy", "hj", "--server", url);
        assertEquals(0, deploy.exit(), deploy::toString);
        assertTrue(deploy.out().contains("version 1"), deploy::toString);
        Run invoke = cli("fn", "invoke", "hj", "--server", url, "--path", "?name=Duke");
        assertEquals(0, invoke.exit(), invoke::toString);
        assertTrue(invoke.out().contains("Hello, Duke!"), invoke::toString);
    }

    @Test
    @Order(11)
    void invokingAnUnknownFunctionFailsClearly() {
        Run r = cli("fn", "invoke", "nosuch", "--server", url);
        assertNotEquals(0, r.exit(), r::toString);
        String all = r.out() + r.err();
        assertTrue(all.contains("nosuch") && all.contains("not found"), "says which function is missing: " + r);
    }

    @Test
    @Order(12)
    void unreachableServerFailsClearly() {
        Run r = cli("fn", "ls", "--server", "http://127.0.0.1:" + Fixtures.freePort());
        assertEquals(1, r.exit(), r::toString);
        assertTrue(r.err().contains("cannot reach the Nest server"), r::toString);
    }

    @Test
    @Order(13)
    void nestServerEnvironmentVariableIsHonoured() {
        Run invoke = cli(Map.of("NEST_SERVER", url), "fn", "invoke", "hello");
        assertEquals(0, invoke.exit(), invoke::toString);
        assertTrue(invoke.out().contains("Hi, world!"), invoke::toString);
        Run ls = cli(Map.of("NEST_SERVER", url), "fn", "ls");
        assertEquals(0, ls.exit(), ls::toString);
        lineStartingWith(ls, "hello ");
    }

    @Test
    @Order(14)
    void mistakesGetMessagesThatSayWhatToChange() throws IOException {
        Run again = cli("fn", "init", "hello", "--runtime", "nodejs");
        assertEquals(1, again.exit(), again::toString);
        assertTrue(again.err().contains("already exists"), again::toString);

        Run badName = cli("fn", "init", "Bad_Name", "--runtime", "nodejs");
        assertEquals(1, badName.exit(), badName::toString);
        assertTrue(badName.err().contains("not a valid function name"), badName::toString);

        Fixtures.write(work, "broken/index.js", "exports.handler = async () => 1;\n");
        Fixtures.write(work, "broken/function.yaml", "name: broken\nruntime: nodejs\nmemory: lots\n");
        Run deploy = cli("fn", "deploy", "broken", "--server", url);
        assertEquals(1, deploy.exit(), deploy::toString);
        assertTrue(deploy.err().contains("memory") && deploy.err().contains("lots"), "names the key and value: " + deploy);

        Run rollback = cli("fn", "rollback", "hj", "--server", url);
        assertEquals(1, rollback.exit(), rollback::toString);
        assertTrue(rollback.err().contains("no earlier live version"), rollback::toString);
    }

    @Test
    @Order(15)
    void noArgumentsStartsAServerFromTheWorkingDirectory(@TempDir Path fresh) throws IOException {
        // config/nest.yaml of the working directory is read when present: it names a free port (the default,
        // 8080, is NestConfigTest's to check), everything else is the embedded defaults
        int port = Fixtures.freePort();
        Fixtures.write(fresh, "config/nest.yaml", "server:\n  host: 127.0.0.1\n  port: " + port + "\n");
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(Fixtures.javaBinary(), "-jar", Fixtures.nestJar().toString())
                .directory(fresh.toFile())
                .redirectErrorStream(true)
                .redirectOutput(fresh.resolve("out.log").toFile())
                .start();
        try {
            Http h = new Http("http://127.0.0.1:" + port);
            awaitHealthy(p, h, fresh.resolve("out.log"));
            System.out.printf("CliIT: java -jar nest.jar (no arguments) was ready on %d %d ms after launch%n",
                    port, (System.nanoTime() - t0) / 1_000_000);
            JsonNode health = h.get("/health").json();
            assertEquals("ready", health.path("status").asText(), health::toString);
            assertTrue(Files.isDirectory(fresh.resolve("data")), "./data is created in the working directory");
        } finally {
            stop(p);
        }
    }

    @Test
    @Order(16)
    void onTheServersMachineTheCliReadsDataAdminTokenOfItsWorkingDirectory() {
        // the quick start: the server runs in a directory with ./data, the CLI from the same directory
        Run ls = cliIn(serverDir, Map.of(), null, "fn", "ls", "--server", url);
        assertEquals(0, ls.exit(), ls::toString);
        assertTrue(ls.out().contains("hello"), ls::toString);
    }

    @Test
    @Order(17)
    void withoutATokenAnAdminCallSaysHowToGetOne() {
        Run ls = cliIn(work, Map.of(), null, "fn", "ls", "--server", url);
        assertEquals(1, ls.exit(), ls::toString);
        assertTrue(ls.err().contains("nest login --server " + url), ls::toString);
        assertTrue(ls.err().contains("--token"), ls::toString);
        assertTrue(ls.err().contains("data/admin.token"), ls::toString);
    }

    @Test
    @Order(18)
    void loginKeepsATokenForTheServerThatLaterCommandsUse() throws IOException {
        Run created = cli("token", "create", "cli-it", "--role", "developer", "--namespace", "default",
                "--server", url);
        assertEquals(0, created.exit(), created::toString);
        String token = created.out().strip();
        assertTrue(token.startsWith("nest_") && !token.contains("\n"), created::toString);

        Run login = cliIn(work, Map.of(), token + "\n", "login", "--server", url);
        assertEquals(0, login.exit(), login::toString);
        assertTrue(!login.out().contains(token) && !login.err().contains(token), "the token is not printed");
        Path saved = serverDir.resolve("config-home/nest/credentials.json");
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(saved)));
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(saved.getParent())));

        Run ls = cliIn(work, Map.of(), null, "fn", "ls", "--server", url);
        assertEquals(0, ls.exit(), ls::toString);
        assertTrue(ls.out().contains("hello"), ls::toString);

        Run tokens = cli("token", "ls", "--server", url);
        assertTrue(tokens.out().contains("cli-it"), tokens::toString);
        Run revoke = cli("token", "revoke", "cli-it", "--server", url);
        assertEquals(0, revoke.exit(), revoke::toString);
        Run refused = cliIn(work, Map.of(), null, "fn", "ls", "--server", url);
        assertEquals(1, refused.exit(), refused::toString);
        assertTrue(refused.err().contains("nest login"), refused::toString);
        assertTrue(!refused.err().contains(token), "the token is not printed");
    }

    // ---- helpers ---------------------------------------------------------------------------------------

    static Run cli(String... args) {
        return cli(Map.of(), args);
    }

    /**
     * Runs {@code java -jar nest.jar args} in {@link #work}, without NEST_SERVER unless {@code env} sets it, with the
     * server's admin token in NEST_TOKEN unless {@code env} sets that.
     */
    static Run cli(Map<String, String> env, String... args) {
        Map<String, String> withToken = new java.util.HashMap<>(env);
        if (!withToken.containsKey("NEST_TOKEN")) {
            // the server's first admin token, which it wrote to its data directory when it started
            Http.adminToken(serverDir.resolve("data")).ifPresent(t -> withToken.put("NEST_TOKEN", t));
        }
        return cliIn(work, withToken, null, args);
    }

    /**
     * Runs {@code java -jar nest.jar args} in {@code dir} with {@code env} and nothing else of Nest's from this
     * process's environment (no NEST_SERVER, NEST_TOKEN, NEST_DATA; the user's config directory is a scratch
     * one), {@code stdin} as its standard input when not null.
     */
    static Run cliIn(Path dir, Map<String, String> env, String stdin, String... args) {
        List<String> cmd = new ArrayList<>(List.of(Fixtures.javaBinary(), "-jar", Fixtures.nestJar().toString()));
        cmd.addAll(List.of(args));
        try {
            Path out = Files.createTempFile(serverDir, "cli-", ".out");
            Path err = Files.createTempFile(serverDir, "cli-", ".err");
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile());
            if (stdin != null) {
                pb.redirectInput(Files.writeString(Files.createTempFile(serverDir, "cli-", ".in"), stdin).toFile());
            }
            List.of("NEST_SERVER", "NEST_TOKEN", "NEST_DATA").forEach(pb.environment()::remove);
            pb.environment().put("XDG_CONFIG_HOME", serverDir.resolve("config-home").toString());
            pb.environment().putAll(env);
            Process p = pb.start();
            if (!p.waitFor(90, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("nest " + String.join(" ", args) + " did not finish within 90 s");
            }
            return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static JsonNode invokeHello(Run r) {
        assertEquals(0, r.exit(), r::toString);
        try {
            return Http.JSON.readTree(r.out().trim());
        } catch (IOException e) {
            throw new AssertionError("fn invoke printed no JSON: " + r, e);
        }
    }

    static String lineStartingWith(Run r, String prefix) {
        return r.out().lines().filter(l -> l.startsWith(prefix)).findFirst()
                .orElseThrow(() -> new AssertionError("no line starting with '" + prefix + "': " + r));
    }

    static void awaitHealthy(Process p, Http h, Path log) {
        try {
            Poll.until("GET /health of the nest.jar child process", STARTUP, () -> {
                if (!p.isAlive()) {
                    throw new AssertionError("nest.jar exited with " + p.exitValue() + ":\n" + read(log));
                }
                return h.healthy();
            }, ok -> ok || !p.isAlive());
        } catch (AssertionError e) {
            if (!p.isAlive()) {
                throw e;
            }
            // still running but not healthy: what it logged and where its threads are
            throw new AssertionError(e.getMessage() + "\n--- its log ---\n" + read(log) + "\n--- its threads ---\n"
                    + Fixtures.threadDump(p, log.resolveSibling("threads.txt")), e);
        }
        if (!p.isAlive()) {
            throw new AssertionError("nest.jar exited with " + p.exitValue() + ":\n" + read(log));
        }
    }

    static void stop(Process p) {
        if (p == null) {
            return;
        }
        p.destroy();
        try {
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                System.err.println("CliIT: nest.jar did not stop within 20 s of SIGTERM; killing it");
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
        }
    }

    static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "(cannot read " + p + ": " + e + ")";
        }
    }
}
