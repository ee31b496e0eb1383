package dev.nest;

import dev.nest.cli.FnCommand;
import dev.nest.cli.LoginCommand;
import dev.nest.cli.NsCommand;
import dev.nest.cli.TokenCommand;
import dev.nest.common.NestException;
import dev.nest.config.NestConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code nest} command line: {@code nest server} (the default), {@code nest fn ...}, {@code nest login} and
 * {@code nest token ...}.
 */
@Command(name = "nest", mixinStandardHelpOptions = true, version = "nest 0.1.0",
        description = "Nest, a self-hosted serverless platform. With no command, starts the server.",
        subcommands = {NestCommand.Server.class, FnCommand.class, LoginCommand.class, TokenCommand.class,
                NsCommand.class, dev.nest.cli.CompletionCommand.class, NestCommand.AotCache.class})
public final class NestCommand implements Callable<Integer> {

    /** Runs the command line; returns the exit code (the server command returns only when stopped). */
    public static int run(String[] args) {
        return new CommandLine(new NestCommand()).execute(withDefaultCommand(args));
    }

    /**
     * {@code args} with {@code server} in front when they name no command: none at all, or an option of the server
     * command first ({@code nest --port 9090}); {@code --help} and {@code --version} stay the root command's.
     */
    static String[] withDefaultCommand(String[] args) {
        if (args.length == 0 || args[0].startsWith("--") && !args[0].equals("--help") && !args[0].equals("--version")) {
            String[] withServer = new String[args.length + 1];
            withServer[0] = "server";
            System.arraycopy(args, 0, withServer, 1, args.length);
            return withServer;
        }
        return args;
    }

    @Override
    public Integer call() {
        return new Server().call();
    }

    /**
     * The server command for {@code args} without picocli, when they are {@code server} and nothing but its options,
     * each given once as {@code --option value} with a plain value (ADR 0030): picocli's model, converters and parser
     * are a few hundred classes and a tenth of a second or more of a node's start. Anything else (help, version,
     * {@code --option=value}, an {@code @file}, a repeated or unknown option, a value that is empty, starts with
     * {@code -} or {@code @} or is no path, a port that is not a plain decimal number) is empty, for picocli to parse, validate and
     * report exactly as before; so is every other command. Pure.
     */
    static java.util.Optional<Server> plainServer(String[] args) {
        if (args.length == 0 || !args[0].equals("server") || args.length % 2 == 0) {
            return java.util.Optional.empty();
        }
        Server s = new Server();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = 1; i < args.length; i += 2) {
            String name = args[i];
            String value = args[i + 1];
            if (!seen.add(name) || value.isEmpty() || value.startsWith("-") || value.startsWith("@")) {
                return java.util.Optional.empty();
            }
            if (!name.equals("--port") && !validPath(value)) {
                return java.util.Optional.empty(); // picocli names the option and the value
            }
            switch (name) {
                case "--config" -> s.config = Path.of(value);
                case "--data" -> s.data = Path.of(value);
                case "--functions" -> s.functions = Path.of(value);
                case "--runtimes" -> s.runtimes = Path.of(value);
                case "--port" -> {
                    if (!value.matches("0|[1-9][0-9]{0,8}")) {
                        return java.util.Optional.empty(); // picocli reads 0x.., 010 and overflows its own way
                    }
                    s.port = Integer.valueOf(value);
                }
                default -> {
                    return java.util.Optional.empty();
                }
            }
        }
        return java.util.Optional.of(s);
    }

    private static boolean validPath(String value) {
        try {
            Path.of(value);
            return true;
        } catch (java.nio.file.InvalidPathException e) {
            return false;
        }
    }

    /** {@code nest server}: starts a node and runs until stopped (SIGTERM, Ctrl-C). */
    @Command(name = "server", mixinStandardHelpOptions = true,
            description = "Start a Nest node (embedded ZooKeeper and the process driver unless nest.yaml says otherwise).")
    public static final class Server implements Callable<Integer> {
        @Option(names = "--config", description = "nest.yaml to read (default: config/nest.yaml if it exists)")
        Path config;
        @Option(names = "--port", description = "HTTP port (default 8080)")
        Integer port;
        @Option(names = "--data", description = "state directory (default ./data)")
        Path data;
        @Option(names = "--functions", description = "directory of function YAML files (default ./config/functions)")
        Path functions;
        @Option(names = "--runtimes", description = "directory of runtimes (default ./runtimes)")
        Path runtimes;

        @Override
        public Integer call() {
            configureLogging();
            NestConfig c;
            try {
                Path file = config != null ? config : Path.of("config", "nest.yaml");
                c = config != null || Files.isRegularFile(file) ? NestConfig.load(file) : NestConfig.defaults();
                if (port != null) {
                    c = c.withPort(port);
                }
                if (data != null) {
                    c = c.withDataDir(data);
                }
                if (functions != null) {
                    c = c.withFunctionsDir(functions);
                }
                if (runtimes != null) {
                    c = c.withRuntimesDir(runtimes);
                } else if (!Files.isDirectory(c.runtimesDir())) {
                    c = c.withRuntimesDir(besideJar("runtimes").orElse(c.runtimesDir()));
                }
            } catch (NestException e) {
                System.err.println("nest: " + e.detail());
                return 2;
            }
            long t0 = System.nanoTime();
            NestServer server;
            try {
                server = NestServer.start(c);
            } catch (NestException e) {
                System.err.println("nest: cannot start: " + e.detail());
                return 1;
            }
            Logger.getLogger("dev.nest").info("started in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
            if (dev.nest.aot.SelfAotCache.afterReady(java.util.Optional.of(c.runtimesDir()), server.port())) {
                server.close(); // the AOT cache's training start: its exit writes the cache (ADR 0033)
                return 0;
            }
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                server.close();
                System.err.println("nest: stopped"); // not the logger: its own shutdown hook may have closed it
                stopped.countDown();
            }, "nest-shutdown"));
            try {
                stopped.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return 0;
        }

        /** {@code <install>/runtimes} when running from a distribution ({@code <install>/lib/nest.jar}). */
        static java.util.Optional<Path> besideJar(String name) {
            try {
                Path jar = Path.of(NestCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
                for (Path p = jar.getParent(); p != null; p = p.getParent()) {
                    if (Files.isDirectory(p.resolve(name))) {
                        return java.util.Optional.of(p.resolve(name));
                    }
                }
            } catch (Exception ignored) {
                // fall back to the configured directory
            }
            return java.util.Optional.empty();
        }
    }

    /**
     * {@code nest aot-cache}: trains the server's JDK AOT cache for this jar and JVM now and waits (ADR 0033), so that
     * the first {@code java -jar nest.jar} start of an installed jar already finds it; {@code distribution/setup.sh}
     * runs it after building the jar. Its JVM options are the ones the cache is for (none for {@code java -jar}).
     */
    @Command(name = "aot-cache", mixinStandardHelpOptions = true,
            description = "Train the server's JDK AOT cache for this jar and JVM now (JDK 25+, Linux; a server start "
                    + "of the same jar and JVM options then applies it).")
    public static final class AotCache implements Callable<Integer> {
        @Option(names = "--runtimes", description = "directory of runtimes the training server reads (default ./runtimes)")
        Path runtimes;

        @Override
        public Integer call() {
            Path dir = runtimes != null ? runtimes : Path.of("runtimes");
            if (runtimes == null && !Files.isDirectory(dir)) {
                dir = Server.besideJar("runtimes").orElse(dir);
            }
            try {
                System.out.println(dev.nest.aot.SelfAotCache.trainNow(java.util.Optional.of(dir)));
                return 0;
            } catch (IllegalStateException e) {
                System.err.println("nest: no AOT cache: " + e.getMessage());
                return 1;
            }
        }
    }

    /** One line per record, quiet libraries. */
    static void configureLogging() {
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        ConsoleHandler h = new ConsoleHandler();
        h.setLevel(Level.ALL);
        h.setFormatter(new Formatter() {
            @Override
            public String format(LogRecord r) {
                String src = r.getLoggerName() == null ? "" : r.getLoggerName().substring(r.getLoggerName().lastIndexOf('.') + 1);
                String msg = formatMessage(r);
                StringBuilder sb = new StringBuilder(java.time.Instant.ofEpochMilli(r.getMillis()).toString())
                        .append(' ').append(r.getLevel().getName()).append(' ').append(src).append(": ").append(msg).append('\n');
                if (r.getThrown() != null && r.getLevel().intValue() >= Level.WARNING.intValue()) {
                    java.io.StringWriter sw = new java.io.StringWriter();
                    r.getThrown().printStackTrace(new java.io.PrintWriter(sw));
                    sb.append(sw);
                }
                return sb.toString();
            }
        });
        root.addHandler(h);
        root.setLevel(Level.INFO);
        QUIET.forEach((name, level) -> {
            Logger l = Logger.getLogger(name);
            l.setLevel(level);
            KEEP.add(l);
        });
    }

    /** Libraries whose INFO lines say nothing an operator needs. */
    private static final java.util.Map<String, Level> QUIET = java.util.Map.of(
            "org.apache.zookeeper", Level.WARNING, "org.apache.curator", Level.WARNING, "io.helidon", Level.WARNING);
    /** JUL keeps loggers weakly: hold the configured ones so that their levels stay. */
    private static final java.util.List<Logger> KEEP = new java.util.concurrent.CopyOnWriteArrayList<>();
}
