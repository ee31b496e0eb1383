package dev.nest.it.kafka;

import dev.nest.it.Engines;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;

/**
 * The Kafka brokers the Kafka tests use: started by {@code distribution/kafka.sh start --brokers 3} (CI does, in
 * {@code distribution/test}), found through {@code NEST_KAFKA_BOOTSTRAP} or the {@code bootstrap} file in the script's
 * work folder ({@code NEST_KAFKA_DIR}, default {@code ${TMPDIR:-/tmp}/nest-kafka}). Without brokers a test skips
 * loudly, or fails under {@code NEST_REQUIRE_ENGINES=1} ({@link Engines#require}). The Kafka plugin's jar must be in
 * {@code target/plugins} (the build puts it there); a missing jar fails.
 */
public final class KafkaBrokers {
    private KafkaBrokers() {
    }

    /** The script's work folder. */
    public static Path dir() {
        return Path.of(Optional.ofNullable(System.getenv("NEST_KAFKA_DIR")).filter(s -> !s.isBlank())
                .orElse(Optional.ofNullable(System.getenv("TMPDIR")).filter(s -> !s.isBlank()).orElse("/tmp")
                        + "/nest-kafka"));
    }

    /** The bootstrap servers, if brokers run. */
    public static Optional<String> bootstrap() {
        Optional<String> env = Optional.ofNullable(System.getenv("NEST_KAFKA_BOOTSTRAP")).filter(s -> !s.isBlank());
        if (env.isPresent()) {
            return env;
        }
        Path f = dir().resolve("bootstrap");
        try {
            return Files.isRegularFile(f) ? Optional.of(Files.readString(f, StandardCharsets.UTF_8).trim())
                    .filter(s -> !s.isEmpty()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Skips (or fails) unless at least {@code brokers} brokers run; fails when the plugin jar is missing. */
    public static void require(int brokers) {
        Optional<String> b = bootstrap();
        int n = b.map(s -> s.split(",").length).orElse(0);
        Engines.require("Kafka (" + brokers + " brokers)", n >= brokers, (n == 0 ? "no brokers found" : "only " + n
                + " brokers") + "; run distribution/kafka.sh start --brokers 3 (or set NEST_KAFKA_BOOTSTRAP)");
        Assertions.assertTrue(Files.isRegularFile(pluginsDir().resolve("kafka.jar")), "the Kafka plugin jar is missing from "
                + pluginsDir() + "; the build (mvn package) makes it from plugins/kafka");
    }

    /** Where the build puts the plugins' jars. */
    public static Path pluginsDir() {
        return Path.of(System.getProperty("nest.home", ".")).toAbsolutePath().resolve("target").resolve("plugins");
    }

    /**
     * The {@code nest.yaml} lines for the kafka queue on the running brokers: its own topic and share group (so a
     * run does not see another's events), replication {@code min(3, brokers)}, the shortest lock (15 s) so a dead
     * node's events come back soon.
     */
    public static String nestYaml(String topic) {
        String servers = bootstrap().orElse("127.0.0.1:9");
        int replication = Math.min(3, servers.split(",").length);
        return """
                plugins-dir: %s
                async:
                  queue: kafka
                  kafka:
                    bootstrap-servers: %s
                    topic: %s
                    group: %s
                    partitions: 6
                    replication: %d
                    lock-time: 15s
                """.formatted(pluginsDir(), servers, topic, topic, replication);
    }

    /** {@code kill -9} of broker {@code i} (1-based), through {@code distribution/kafka.sh kill}. */
    public static void kill(int i) {
        script("kill", String.valueOf(i));
    }

    /** Starts broker {@code i} again on its data. */
    public static void restart(int i) {
        script("restart", String.valueOf(i));
    }

    private static void script(String... args) {
        Path sh = Path.of(System.getProperty("nest.home", ".")).resolve("distribution").resolve("kafka.sh");
        List<String> argv = new java.util.ArrayList<>(List.of(sh.toString()));
        argv.addAll(List.of(args));
        argv.addAll(List.of("--dir", dir().toString()));
        try {
            Process p = new ProcessBuilder(argv).inheritIO().start();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("kafka.sh " + String.join(" ", args) + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
