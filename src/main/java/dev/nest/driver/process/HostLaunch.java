package dev.nest.driver.process;

import dev.nest.spi.PodSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How one host process is started: its argv, its environment and the secret it is handed on its standard input.
 * A pure function of the pod's spec, the pod's user and the tools found on the machine.
 *
 * <p>The argv is {@code setsid [setpriv --reuid=U --regid=G --clear-groups --inh-caps=-all --bounding-set=-all
 * --no-new-privs --] <host command>}: the host runs in its own session (a terminal's signals to Nest do not reach
 * it) and, when Nest runs as root, as the pod's unprivileged user with no capabilities and no way to gain any
 * (setuid binaries included). Both tools come from util-linux and exec in place, so the started process's pid is
 * the host's pid.
 *
 * <p>The environment is {@code PATH} and {@code LANG} from Nest's, {@code HOME} and {@code TMPDIR} set to the
 * pod's scratch directory, and the spec's variables except {@code NEST_HOST_SECRET}: the secret never appears in
 * the environment or the command line (both readable through {@code /proc}); instead
 * {@code NEST_HOST_SECRET_STDIN=1} tells the host to read it as the first line of its standard input, a pipe
 * only Nest holds (runtimes/CONTRACT.md).
 *
 * @param argv      the full argv
 * @param hostStart index in {@code argv} of the host command's first element
 * @param env       the whole environment of the process
 * @param secret    the line to write to the host's standard input, empty when the spec has no secret
 */
record HostLaunch(List<String> argv, int hostStart, Map<String, String> env, Optional<String> secret) {
    static final String SECRET_VARIABLE = "NEST_HOST_SECRET";
    static final String SECRET_STDIN_VARIABLE = "NEST_HOST_SECRET_STDIN";

    HostLaunch {
        argv = List.copyOf(argv);
        env = Map.copyOf(env);
    }

    /** The uid and gid a host runs as. */
    record PodUser(int uid, int gid) {
    }

    /**
     * The launch of {@code spec}'s host.
     *
     * @param workDir   the pod's scratch directory (its working directory, HOME and TMPDIR)
     * @param user      who the host runs as; empty: as Nest's user
     * @param setsid    the {@code setsid} program, if the machine has one
     * @param setpriv   the {@code setpriv} program (required when {@code user} is given)
     * @param inherited Nest's environment (only {@code PATH} and {@code LANG} are taken)
     */
    static HostLaunch of(PodSpec spec, Path workDir, Optional<PodUser> user, Optional<Path> setsid, Optional<Path> setpriv,
                         Map<String, String> inherited) {
        List<String> argv = new ArrayList<>();
        setsid.ifPresent(p -> argv.add(p.toString()));
        if (user.isPresent()) {
            PodUser u = user.get();
            argv.add(setpriv.orElseThrow(() -> new IllegalArgumentException("setpriv is required to run a host as uid "
                    + u.uid())).toString());
            argv.addAll(List.of("--reuid=" + u.uid(), "--regid=" + u.gid(), "--clear-groups", "--inh-caps=-all",
                    "--bounding-set=-all", "--no-new-privs", "--"));
        }
        int hostStart = argv.size();
        argv.addAll(spec.command());
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", inherited.getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin"));
        env.put("LANG", inherited.getOrDefault("LANG", "C.UTF-8"));
        env.put("HOME", workDir.toString());
        env.put("TMPDIR", workDir.toString());
        env.putAll(spec.env());
        Optional<String> secret = Optional.ofNullable(env.remove(SECRET_VARIABLE)).filter(s -> !s.isEmpty());
        if (secret.isPresent()) {
            if (secret.get().contains("\n") || secret.get().contains("\r")) {
                throw new IllegalArgumentException("a host secret is one line");
            }
            env.put(SECRET_STDIN_VARIABLE, "1");
        }
        return new HostLaunch(argv, hostStart, env, secret);
    }

    /** The variable that tells a host where to listen on a Unix domain socket (ADR 0032). */
    static final String SOCKET_VARIABLE = "NEST_HOST_SOCKET";
    /** The socket's file name in the pod's scratch directory. */
    static final String SOCKET_FILE = "nest-host.sock";
    /** {@code sun_path} holds 108 bytes with the terminating NUL. */
    static final int MAX_SOCKET_PATH_BYTES = 107;

    /**
     * Where a host whose scratch directory is {@code workDir} binds its socket and where the node reaches it.
     *
     * @param bound   the value of {@code NEST_HOST_SOCKET}: the absolute path when it fits in {@code sun_path}, else
     *                the file name alone, which the host binds in its working directory (the scratch directory)
     * @param reached the absolute path the node agent and the gateway connect to: the socket's own path, or the same
     *                socket through a short link ({@link dev.nest.spi.SocketLinks})
     */
    record Socket(String bound, Path reached) {
    }

    /**
     * The socket of a host whose scratch directory (its working directory) is {@code workDir}: its own path when that
     * fits in {@code sun_path}, else reached through {@code links}; empty when neither fits (that host is called over
     * TCP only; {@link dev.nest.spi.SocketLinks#lastRefusal} says why). Call once {@code workDir} exists.
     */
    static Optional<Socket> socketIn(Path workDir, dev.nest.spi.SocketLinks links) {
        Path p = workDir.toAbsolutePath().normalize().resolve(SOCKET_FILE);
        if (p.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= MAX_SOCKET_PATH_BYTES) {
            return Optional.of(new Socket(p.toString(), p));
        }
        return links.reach(p).map(r -> new Socket(SOCKET_FILE, r));
    }
}
