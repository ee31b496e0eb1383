package dev.nest.aot;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The pure decisions of the self-applied AOT cache: which file a jar and a JVM use ({@link Key}), whether a start
 * re-executes itself with it, trains one or does neither ({@link #decide}), and the command lines of the re-executed
 * JVM ({@link #withCache}) and of the training JVM ({@link #training}). No I/O: the caller reads the command line,
 * the environment and the file system and passes what it read.
 */
final class AotPlan {
    /** The environment variable that marks a JVM this mechanism started (the re-executed one): no second exec. */
    static final String EXEC_MARKER = "NEST_AOT_EXEC";
    /** The environment opt-out ({@code NEST_AOT=0}); {@code -Dnest.aot=off} is the system property. */
    static final String ENV_SWITCH = "NEST_AOT";
    static final String PROPERTY_SWITCH = "nest.aot";
    /** Set on the training JVM: it stops once it is ready, and its exit writes the cache. */
    static final String TRAINING_PROPERTY = "nest.aot.training";
    /** The JVM options the re-executed JVM gets in front of the original ones (the logs quiet: no warning per start). */
    static final List<String> QUIET = List.of("-Xlog:aot=off", "-Xlog:cds=off");
    /** Options by which the JVM was already given a class archive of its own: then this mechanism stays out. */
    private static final List<String> ARCHIVE_OPTIONS = List.of("-XX:AOTCache", "-XX:AOTCacheOutput", "-XX:AOTMode",
            "-XX:AOTConfiguration", "-XX:SharedArchiveFile", "-XX:ArchiveClassesAtExit", "-XX:+AutoCreateSharedArchive",
            "-Xshare", "-XX:DumpLoadedClassList");
    /** Environment variables whose content the java launcher or the JVM reads as options. */
    private static final List<String> OPTION_VARIABLES = List.of("JDK_JAVA_OPTIONS", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS");

    private AotPlan() {
    }

    /**
     * Which cache belongs to a jar and a JVM: the jar's absolute path (hashed: the JVM checks the class path it was
     * trained with), its size and modification time (seconds), and {@code java.vm.version}. A rebuilt jar or another
     * JDK makes another key, and the caches of the same jar path with another key are stale.
     */
    record Key(String jarPath, long size, long mtimeSeconds, String vmVersion) {
        /** {@code server-<path hash>-<vm version>-<size>-<mtime>.aot}. */
        String fileName() {
            StringBuilder b = new StringBuilder(prefix());
            for (int i = 0; i < vmVersion.length(); i++) {
                char c = vmVersion.charAt(i);
                b.append(c < 128 && (Character.isLetterOrDigit(c) || ".+_-".indexOf(c) >= 0) ? c : '_');
            }
            return b.append('-').append(size).append('-').append(mtimeSeconds).append(".aot").toString();
        }

        /** What every cache of this jar path starts with, whatever its version. */
        String prefix() {
            String hex = Integer.toHexString(jarPath.hashCode());
            return new StringBuilder("server-").append("00000000", hex.length(), 8).append(hex).append('-').toString();
        }

        /** A file in the cache directory that belongs to this jar path but not to this key: to be removed. */
        boolean isStale(String fileName) {
            return fileName.startsWith(prefix()) && !fileName.equals(fileName()) && !fileName.equals(fileName() + ".failed");
        }
    }

    /** What the process saw: its JDK feature version, its OS, switches, its command line and what it runs from. */
    record Inputs(int javaFeature, String osName, Map<String, String> env, Optional<String> property,
                  boolean training, List<String> cmdline, Optional<Path> jar) {
    }

    /** The outcome of {@link #decide}. */
    sealed interface Decision {
        /** Neither exec nor training, and why (one line for the log). */
        record Skip(String reason) implements Decision {
        }

        /** The process is eligible: re-execute when the cache exists, else train one after ready. */
        record Eligible(Path jar) implements Decision {
        }

        /** This is the re-executed JVM, running with the cache the marker names. */
        record Applied(String cache) implements Decision {
        }
    }

    /** Whether this start may use (or train) a self-applied cache. Pure. */
    static Decision decide(Inputs in) {
        String sw = in.property().orElse(in.env().getOrDefault(ENV_SWITCH, "")).trim().toLowerCase(Locale.ROOT);
        if (List.of("0", "off", "false", "no").contains(sw)) {
            return new Decision.Skip("turned off (" + (in.property().isPresent() ? "-D" + PROPERTY_SWITCH : ENV_SWITCH) + ")");
        }
        if (in.training()) {
            return new Decision.Skip("this JVM trains the cache");
        }
        String marker = in.env().getOrDefault(EXEC_MARKER, "");
        if (!marker.isEmpty()) {
            return in.cmdline().contains("-XX:AOTCache=".concat(marker)) ? new Decision.Applied(marker)
                    : new Decision.Skip(EXEC_MARKER + " is set but the JVM has no -XX:AOTCache=" + marker);
        }
        if (in.javaFeature() < 25) {
            return new Decision.Skip("needs JDK 25 or later (this is " + in.javaFeature() + ")");
        }
        if (!in.osName().toLowerCase(Locale.ROOT).startsWith("linux")) {
            return new Decision.Skip("re-executing the JVM is implemented on Linux only (this is " + in.osName() + ")");
        }
        if (in.jar().isEmpty()) {
            return new Decision.Skip("not running from a jar");
        }
        int jarAt = in.cmdline().indexOf("-jar");
        if (jarAt < 1 || jarAt + 1 >= in.cmdline().size()
                || !Path.of(in.cmdline().get(jarAt + 1)).toAbsolutePath().normalize().equals(in.jar().get())) {
            return new Decision.Skip("not started as java -jar " + in.jar().get());
        }
        for (String option : in.cmdline().subList(1, jarAt)) {
            if (archiveOption(option, false)) {
                return new Decision.Skip("the JVM has a class archive option of its own (" + option + ")");
            }
        }
        for (String variable : OPTION_VARIABLES) {
            if (archiveOption(in.env().getOrDefault(variable, ""), true)) {
                return new Decision.Skip("the JVM has a class archive option of its own (in " + variable + ")");
            }
        }
        return new Decision.Eligible(in.jar().get());
    }

    /**
     * Whether {@code text} starts with (an option) or contains (a variable's options) a class archive option. Loops,
     * not streams: this runs before the exec, where every lambda's class is spun for nothing (ADR 0033).
     */
    private static boolean archiveOption(String text, boolean anywhere) {
        for (String option : ARCHIVE_OPTIONS) {
            if (anywhere ? text.contains(option) : text.startsWith(option)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether the JVM mapped its class archive, from {@code java.vm.info} ("mixed mode, sharing"): a JVM given an
     * AOT cache it rejects runs without any archive, and the word is missing.
     */
    static boolean mapped(String vmInfo) {
        return java.util.Arrays.stream(vmInfo.split(",")).map(String::trim).anyMatch("sharing"::equals);
    }

    /** The command line with the cache: the original one with the cache and quiet logs in front of its JVM options. */
    static List<String> withCache(List<String> cmdline, Path cache) {
        List<String> out = new ArrayList<>(cmdline.size() + 3);
        out.add(cmdline.getFirst());
        out.add("-XX:AOTCache=".concat(cache.toString()));
        out.addAll(QUIET);
        out.addAll(cmdline.subList(1, cmdline.size()));
        return out;
    }

    /** The re-executed JVM's environment: this one's, plus the marker naming the cache (no second exec). */
    static List<String> environment(Map<String, String> env, Path cache) {
        List<String> out = new ArrayList<>(env.size() + 1);
        for (Map.Entry<String, String> e : env.entrySet()) {
            if (!e.getKey().equals(EXEC_MARKER)) {
                out.add(e.getKey().concat("=").concat(e.getValue()));
            }
        }
        out.add(EXEC_MARKER.concat("=").concat(cache.toString()));
        return out;
    }

    /**
     * The training JVM's command line: the same java and JVM options (the cache is valid for the options it was made
     * with), writing {@code output}, and the server on a scratch data and functions directory with the runtimes of
     * this node, no configuration file (it runs in a scratch working directory), on {@code port}.
     */
    static List<String> training(List<String> cmdline, String java, Path jar, Path output, Path scratch,
                                 Optional<Path> runtimes, int port) {
        int jarAt = cmdline.indexOf("-jar");
        List<String> out = new ArrayList<>();
        out.add(java);
        out.addAll(cmdline.subList(1, jarAt));
        out.add("-XX:AOTCacheOutput=" + output);
        out.add("-D" + TRAINING_PROPERTY + "=true");
        out.addAll(List.of("-jar", jar.toString(), "server", "--port", String.valueOf(port),
                "--data", scratch.resolve("data").toString(), "--functions", scratch.resolve("functions").toString()));
        runtimes.ifPresent(r -> out.addAll(List.of("--runtimes", r.toString())));
        return out;
    }
}
