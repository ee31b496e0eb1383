package dev.nest.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What the figures were measured on: cores, CPU model, kernel, the tools' versions, the commit, and the load
 * average (other work on the machine shows there).
 */
record Machine(int cores, String cpu, String kernel, String date, String jdk, String node, String nginx, String wrk,
               String commit) {

    static Machine describe(BenchSettings s) {
        String cpu = "unknown";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown");
        } catch (IOException ignored) {
            // keep "unknown"
        }
        String kernel = read("/proc/sys/kernel/osrelease");
        String nginx = output(List.of(s.nginx(), "-v")).replace("nginx version: ", "").replace("nginx/", "");
        String wrk = output(List.of(s.wrk(), "-v"));
        wrk = wrk.startsWith("wrk ") ? wrk.split("\\s+")[1] : wrk;
        String commit = output(List.of("git", "-C", s.root().toString(), "rev-parse", "--short", "HEAD"));
        String dirty = output(BenchmarksDoc.dirtyCheck(s.root()));
        if (!dirty.isEmpty() && !dirty.equals("unknown") && !dirty.startsWith("fatal")) {
            commit += " + uncommitted changes";
        }
        return new Machine(Runtime.getRuntime().availableProcessors(), cpu, kernel,
                ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME).replaceAll("\\.\\d+", ""),
                System.getProperty("java.vm.name") + " " + Runtime.version(), output(List.of(RuntimeHost.nodeBinary(), "--version")),
                nginx, wrk, commit);
    }

    /** The 1, 5 and 15 minute load averages. */
    /**
     * The sentence a section's first paragraph ends with: the load average when the run began ({@code before}, from
     * {@link #loadAverage()}) and now, so a reader sees whether other work shared the cores.
     */
    static String loadSentence(String before) {
        return " Load average (1/5/15 min) before / after: " + before + " / " + loadAverage() + ".";
    }

    static String loadAverage() {
        String l = read("/proc/loadavg");
        String[] f = l.split("\\s+");
        return f.length >= 3 ? f[0] + " " + f[1] + " " + f[2] : l;
    }

    private static String read(String file) {
        try {
            return Files.readString(Path.of(file)).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** The first line of a command's output (stdout and stderr), or "unknown". */
    static String output(List<String> argv) {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "unknown";
            }
            String text = new String(out, StandardCharsets.UTF_8).trim();
            return text.isEmpty() ? "" : text.lines().findFirst().orElse("").trim();
        } catch (IOException e) {
            return "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }
}
