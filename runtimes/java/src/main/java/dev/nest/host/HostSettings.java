package dev.nest.host;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How a {@link JavaHost} runs.
 *
 * @param address the address to bind
 * @param port the TCP port (0: an ephemeral port, for tests)
 * @param secret the shared secret every request must carry in {@code X-Nest-Secret}
 * @param podId the pod's id, for the host's own log lines
 * @param preload class names to load (and initialise) before the host reports ready
 * @param out where framed stdout lines and logger lines go ({@code null}: the process's stdout)
 * @param err where framed stderr lines go ({@code null}: the process's stderr)
 */
public record HostSettings(String address, int port, String secret, String podId, List<String> preload,
        PrintStream out, PrintStream err) {

    public HostSettings {
        if (address == null || address.isBlank()) address = "127.0.0.1";
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port out of range: " + port);
        if (secret == null || secret.isEmpty()) throw new IllegalArgumentException("a secret is required");
        if (podId == null) podId = "";
        preload = preload == null ? List.of() : List.copyOf(preload);
    }

    @Override
    public String toString() {
        return "HostSettings[address=" + address + ", port=" + port + ", podId=" + podId + ", preload=" + preload
                + ", secret=(hidden)]";
    }

    /** Settings on {@code 127.0.0.1} with no preload, logging to the process's stdout/stderr. */
    public static HostSettings local(int port, String secret) {
        return new HostSettings("127.0.0.1", port, secret, "local", List.of(), null, null);
    }

    /** The same settings with framed log lines going to {@code out} and {@code err}. */
    public HostSettings withLogSinks(PrintStream out, PrintStream err) {
        return new HostSettings(address, port, secret, podId, preload, out, err);
    }

    /** The variable that says the secret comes on standard input (runtimes/CONTRACT.md). */
    public static final String SECRET_STDIN = "NEST_HOST_SECRET_STDIN";

    /**
     * The folder {@code java.io.tmpdir} should name: {@code TMPDIR} when it is an absolute path (the pod's own scratch
     * folder on the process driver, runtimes/CONTRACT.md), else empty (the JVM's default stays). The JVM does not read
     * {@code TMPDIR} itself, so without this the host's and its functions' temporary files would go to the machine's
     * shared {@code /tmp}, where other pods' files are visible.
     */
    public static java.util.Optional<String> tmpDir(Map<String, String> env) {
        String t = env.getOrDefault("TMPDIR", "");
        return t.startsWith("/") && t.indexOf('\0') < 0 ? java.util.Optional.of(t) : java.util.Optional.empty();
    }

    /** Whether {@code env} says the secret comes as the first line of standard input. */
    public static boolean secretOnStdin(Map<String, String> env) {
        return "1".equals(env.get(SECRET_STDIN));
    }

    /**
     * Settings from the environment, with the secret read from {@code stdin} when {@code NEST_HOST_SECRET_STDIN}
     * is {@code 1}: the first line, read byte by byte so that nothing after it is consumed (the rest of the stream
     * is the host's link to the node agent, see {@link JavaHost}).
     *
     * @throws IllegalArgumentException when a required variable is missing or invalid, or stdin ends before a line
     */
    public static HostSettings fromEnv(Map<String, String> env, InputStream stdin) {
        if (!secretOnStdin(env)) {
            return fromEnv(env);
        }
        String secret;
        try {
            secret = readLine(stdin);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the secret from stdin", e);
        }
        if (secret.isEmpty()) throw new IllegalArgumentException(SECRET_STDIN + " is set but stdin held no secret line");
        Map<String, String> withSecret = new java.util.HashMap<>(env);
        withSecret.put("NEST_HOST_SECRET", secret);
        return fromEnv(withSecret);
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            if (line.size() > 4096) return "";
            line.write(b);
        }
        if (b < 0) return "";
        String s = line.toString(StandardCharsets.UTF_8);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    /**
     * Settings from {@code NEST_HOST_PORT}, {@code NEST_HOST_ADDRESS}, {@code NEST_HOST_SECRET},
     * {@code NEST_POD_ID} and {@code NEST_PRELOAD}.
     *
     * @throws IllegalArgumentException when a required variable is missing or invalid
     */
    public static HostSettings fromEnv(Map<String, String> env) {
        String portText = env.get("NEST_HOST_PORT");
        if (portText == null || portText.isBlank()) throw new IllegalArgumentException("NEST_HOST_PORT is not set");
        int port;
        try {
            port = Integer.parseInt(portText.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("NEST_HOST_PORT is not a number: " + portText);
        }
        String secret = env.get("NEST_HOST_SECRET");
        if (secret == null || secret.isEmpty()) throw new IllegalArgumentException("NEST_HOST_SECRET is not set");
        List<String> preload = new ArrayList<>();
        String pre = env.get("NEST_PRELOAD");
        if (pre != null) {
            for (String s : pre.split(",")) {
                s = s.trim();
                if (!s.isEmpty()) preload.add(s);
            }
        }
        return new HostSettings(env.get("NEST_HOST_ADDRESS"), port, secret, env.get("NEST_POD_ID"), preload,
                null, null);
    }
}
