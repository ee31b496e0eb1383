package dev.nest.host;

import dev.nest.fn.Context;
import dev.nest.fn.Handler;
import dev.nest.fn.HttpResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

/**
 * The training run of the Java host's ahead-of-time cache (JDK 25, JEP 483/514/515): starts a host in this JVM on
 * a free loopback port, {@code /load}s a small function packaged as a jar (written to a scratch directory), invokes
 * it a few times and stops. Run with {@code -XX:AOTCacheOutput=FILE} (and the host's own flags and classpath),
 * the JVM writes at exit a cache of the host's classes and the JDK classes a pool pod uses for its first
 * {@code /load} and invocation, loaded and linked, with their method profiles. A host started with
 * {@code -XX:AOTCache=FILE} maps them instead of loading them; the function's own classes are still loaded by its
 * instance's class loader.
 *
 * <p>The runtime image runs it at build time ({@code runtimes/java/Dockerfile}). Usage:
 * {@code java [host flags] -XX:AOTCacheOutput=host.aot -cp nest-host.jar dev.nest.host.HostTraining [SCRATCH_DIR]}.
 * Exits 0 when every step answered as the contract says, 1 otherwise (with the step on stderr): a cache made
 * from a run that failed half-way would cover less, so the image build stops instead.
 *
 * <p>Single-threaded; the host's own threads as in a pod.
 */
public final class HostTraining {
    private static final int INVOCATIONS = 20;

    private HostTraining() {
    }

    public static void main(String[] args) throws Exception {
        Path scratch = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("nest-host-training");
        try {
            run(scratch);
        } catch (IOException | RuntimeException e) {
            System.err.println("nest java host training: " + e);
            System.exit(1);
        }
        System.exit(0);
    }

    /** One training run in {@code scratch} (created if needed; the function's jar is left there). */
    static void run(Path scratch) throws IOException {
        Path code = scratch.resolve("code");
        Files.createDirectories(code);
        writeFunctionJar(code.resolve("function.jar"));
        String secret = "training-" + ProcessHandle.current().pid();
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
        HostSettings settings = new HostSettings("127.0.0.1", 0, secret, "training", List.of(), quiet, quiet);
        try (JavaHost host = JavaHost.start(settings)) {
            int port = host.port();
            expect("GET /health", request(port, secret, "GET", "/health", ""), 200);
            String load = "{\"id\":\"t-1\",\"function\":\"training/fn\",\"version\":\"1\",\"codeDir\":"
                    + Json.write(code.toString()) + ",\"handler\":" + Json.write(Function.class.getName())
                    + ",\"env\":{\"K\":\"v\"},\"limits\":{\"memoryMb\":64,\"timeoutMs\":10000,\"concurrency\":1}}";
            expect("POST /load", request(port, secret, "POST", "/load", load), 200);
            for (int i = 0; i < INVOCATIONS; i++) {
                expect("POST /invoke", request(port, secret, "POST", "/invoke/t-1/hello?n=" + i, "{\"n\":" + i + "}"), 200);
                expect("GET /invoke", request(port, secret, "GET", "/invoke/t-1/", ""), 200);
            }
            expect("POST /unload", request(port, secret, "POST", "/unload", "{\"id\":\"t-1\"}"), 200);
        }
    }

    private static void expect(String what, int status, int wanted) {
        if (status != wanted) {
            throw new IllegalStateException(what + " answered " + status + ", expected " + wanted);
        }
    }

    /** A jar holding {@link Function}'s class file, read from this class's own classpath. */
    static void writeFunctionJar(Path jar) throws IOException {
        String entry = Function.class.getName().replace('.', '/') + ".class";
        try (InputStream in = HostTraining.class.getClassLoader().getResourceAsStream(entry)) {
            if (in == null) {
                throw new IOException(entry + " is not on the classpath");
            }
            byte[] bytes = in.readAllBytes();
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
                out.putNextEntry(new JarEntry(entry));
                out.write(bytes);
                out.closeEntry();
            }
        }
    }

    /** One HTTP/1.1 request on a fresh loopback connection; returns the status. */
    private static int request(int port, String secret, String method, String path, String body) throws IOException {
        return request(InetAddress.getLoopbackAddress(), port, secret, method, path, body);
    }

    /** One HTTP/1.1 request on a fresh connection to {@code address}; returns the status. */
    static int request(InetAddress address, int port, String secret, String method, String path, String body)
            throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        try (Socket s = new Socket(address, port)) {
            s.setSoTimeout(10_000);
            String head = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Nest-Secret: " + secret
                    + "\r\nX-Nest-Invocation-Id: training\r\nX-Nest-Deadline: " + (System.currentTimeMillis() + 10_000)
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + b.length + "\r\nConnection: close\r\n\r\n";
            OutputStream out = s.getOutputStream();
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            out.write(b);
            out.flush();
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            s.getInputStream().transferTo(answer);
            String text = answer.toString(StandardCharsets.ISO_8859_1);
            if (!text.startsWith("HTTP/1.1 ") || text.length() < 12) {
                throw new IOException(method + " " + path + ": no HTTP answer");
            }
            return Integer.parseInt(text.substring(9, 12));
        }
    }

    /** The training function: reads the event and answers with a response object or a plain map, as user code does. */
    public static final class Function implements Handler {
        @Override
        public Object handle(Map<String, Object> event, Context context) {
            Object path = event.get("path");
            context.logger().info("training " + path);
            if ("/".equals(path)) {
                return Map.of("ok", true, "path", path); // the result as a plain object, as most functions answer
            }
            return HttpResponse.json(200, "{\"path\":\"" + path + "\",\"env\":\"" + context.env().get("K") + "\"}");
        }
    }
}
