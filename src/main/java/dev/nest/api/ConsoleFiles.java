package dev.nest.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The web console's static files, by their path under the console's root ({@code index.html},
 * {@code assets/main-3KQ2ZL7D.js}). The build puts them into the jar under {@code console/} (ADR 0023);
 * {@link #classpath()} reads them from there. Paths reach this only after {@link ConsoleRoutes} checked them.
 */
@FunctionalInterface
public interface ConsoleFiles {
    /** The largest file served (the bundle is far smaller). */
    int MAX_BYTES = 16 << 20;

    /** The bytes of the file at {@code path}, if there is one. */
    Optional<byte[]> read(String path);

    /**
     * The files the build put under {@code console/} on this class's class path, each read once and kept (a jar
     * does not change under a running node). Thread-safe. A file above {@link #MAX_BYTES} is treated as absent.
     */
    static ConsoleFiles classpath() {
        Map<String, Optional<byte[]>> cache = new ConcurrentHashMap<>();
        ClassLoader loader = ConsoleFiles.class.getClassLoader();
        return path -> cache.computeIfAbsent(path, p -> {
            try (InputStream in = loader.getResourceAsStream("console/" + p)) {
                if (in == null) {
                    return Optional.empty();
                }
                byte[] bytes = in.readNBytes(MAX_BYTES + 1);
                return bytes.length > MAX_BYTES ? Optional.empty() : Optional.of(bytes);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the console's file " + p, e);
            }
        });
    }
}
