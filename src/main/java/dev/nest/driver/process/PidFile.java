package dev.nest.driver.process;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * What the driver records about a started host so that, after a crash of Nest, the next start can stop the
 * host it left behind, and only that process: a pid alone is not enough, because pids are reused and (when Nest
 * does not run as root) a function can rewrite the file.
 *
 * <p>A recorded process is the live process {@code pid} only if its start time ({@code /proc/<pid>/stat} field
 * 22, which exec does not change), its real uid and its command line all match. The command line may be any
 * stage of the launch chain ({@code setsid setpriv ... -- host...}, then {@code setpriv ... -- host...}, then the
 * host itself), so any suffix of {@code argv} that still holds the whole host command is accepted.
 *
 * @param pid        the pid of the launched process
 * @param startTicks its start time in clock ticks since boot
 * @param uid        the real uid the host runs as
 * @param argv       the full launch argv
 * @param hostStart  index in {@code argv} where the host's own command begins
 */
record PidFile(long pid, long startTicks, int uid, List<String> argv, int hostStart) {
    private static final String MAGIC = "nest-pod 1";

    PidFile {
        argv = List.copyOf(argv);
        if (hostStart < 0 || hostStart >= argv.size()) {
            throw new IllegalArgumentException("host command start " + hostStart + " outside argv of " + argv.size());
        }
    }

    /** The recording of {@code launched}, started with {@code argv}. */
    static PidFile of(ProcessRecord launched, List<String> argv, int hostStart, int uid) {
        return new PidFile(launched.pid(), launched.startTicks(), uid, argv, hostStart);
    }

    /** Whether {@code live} (read from {@code /proc} now) is the process this file recorded. */
    boolean matches(ProcessRecord live) {
        if (live.pid() != pid || live.startTicks() != startTicks || live.uid() != uid) {
            return false;
        }
        for (int i = 0; i <= hostStart; i++) {
            if (live.cmdline().equals(argv.subList(i, argv.size()))) {
                return true;
            }
        }
        return false;
    }

    /** The file's text: a magic line, pid, start ticks, uid, host start, then one base64 line per argument. */
    String format() {
        StringBuilder sb = new StringBuilder(MAGIC).append('\n')
                .append(pid).append('\n').append(startTicks).append('\n').append(uid).append('\n').append(hostStart).append('\n');
        for (String a : argv) {
            sb.append(Base64.getEncoder().encodeToString(a.getBytes(StandardCharsets.UTF_8))).append('\n');
        }
        return sb.toString();
    }

    /** The recording in {@code text}, or empty when it is not one (an older format, a truncated or forged file). */
    static Optional<PidFile> parse(String text) {
        if (!text.endsWith("\n")) {
            return Optional.empty(); // truncated
        }
        String[] lines = text.substring(0, text.length() - 1).split("\n", -1);
        if (lines.length < 6 || !lines[0].equals(MAGIC)) {
            return Optional.empty();
        }
        try {
            List<String> argv = new ArrayList<>();
            for (int i = 5; i < lines.length; i++) {
                argv.add(new String(Base64.getDecoder().decode(lines[i].trim()), StandardCharsets.UTF_8));
            }
            return Optional.of(new PidFile(Long.parseLong(lines[1].trim()), Long.parseLong(lines[2].trim()),
                    Integer.parseInt(lines[3].trim()), argv, Integer.parseInt(lines[4].trim())));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
