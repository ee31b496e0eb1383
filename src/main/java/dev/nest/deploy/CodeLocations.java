package dev.nest.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Where the {@code code:} of a function file may point. The value is a directory relative to the file (as
 * config/functions/README.md documents); it may lie outside the functions directory (a developer's checkout), but
 * it may not be absolute, a file-system root or a top-level directory ({@code /}, {@code /usr}, {@code /home}),
 * lie in a system directory ({@code /etc}, {@code /proc}, {@code /sys}, {@code /dev}, {@code /boot},
 * {@code /root}, {@code /run}) other than under the functions directory, hold the functions directory itself
 * ({@code .}, {@code ..}), or overlap one of the protected directories (Nest's data directory). The checks are made
 * on the real path, so a symbolic link does not get around them.
 *
 * <p>Errors name the key, the value as written and what is allowed, never the resolved server path. Stateless.
 */
final class CodeLocations {
    private static final List<Path> SYSTEM = List.of(Path.of("/etc"), Path.of("/proc"), Path.of("/sys"), Path.of("/dev"),
            Path.of("/boot"), Path.of("/root"), Path.of("/run"));

    private CodeLocations() {
    }

    /** A {@code code:} value that cannot be used: a sentence naming the key, the value and what is allowed. */
    static final class Refused extends RuntimeException {
        Refused(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * The code directory {@code value} names for {@code file}.
     *
     * @param functionsDir the functions directory (real path or not)
     * @param protectedDirs directories a code directory may neither be in nor hold
     * @throws Refused when the value is missing, absolute, not an existing directory or not allowed
     */
    static Path resolve(Optional<String> value, Path file, Path functionsDir, List<Path> protectedDirs) {
        String fileName = file.getFileName().toString();
        String allowed = "a directory relative to " + fileName + ", outside system directories, Nest's data directory "
                + "and not holding the functions directory";
        if (value.isEmpty() || value.get().isBlank()) {
            throw new Refused("key 'code': required: the function's code directory, relative to " + fileName);
        }
        String v = value.get();
        Path relative;
        try {
            relative = Path.of(v);
        } catch (InvalidPathException e) {
            throw refused(v, allowed, "not a path");
        }
        if (relative.isAbsolute() || v.startsWith("/") || v.startsWith("\\") || v.startsWith("~")) {
            throw refused(v, allowed, "an absolute path");
        }
        Path dir = file.toAbsolutePath().getParent().resolve(relative).normalize();
        if (!Files.isDirectory(dir)) {
            throw refused(v, allowed, "no such directory");
        }
        Path real;
        Path functions;
        try {
            real = dir.toRealPath();
            functions = functionsDir.toRealPath();
        } catch (IOException e) {
            throw refused(v, allowed, "cannot be resolved");
        }
        if (real.getNameCount() < 2) {
            throw refused(v, allowed, "a file-system root or top-level directory");
        }
        if (functions.startsWith(real)) {
            throw refused(v, allowed, "it holds the functions directory");
        }
        if (!real.startsWith(functions) && SYSTEM.stream().anyMatch(real::startsWith)) {
            throw refused(v, allowed, "a system directory");
        }
        for (Path p : protectedDirs) {
            Path prot = realOrNormal(p);
            if (real.startsWith(prot) || prot.startsWith(real)) {
                throw refused(v, allowed, "it overlaps Nest's data directory");
            }
        }
        return dir;
    }

    private static Path realOrNormal(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p.toAbsolutePath().normalize();
        }
    }

    private static Refused refused(String value, String allowed, String why) {
        return new Refused("key 'code': value '" + value + "' is not valid (" + why + "); allowed: " + allowed);
    }
}
