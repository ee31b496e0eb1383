package dev.nest.auth;

import dev.nest.common.NestException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * The first admin token of a region. On a start where the store holds no token at all, {@link #run} creates an
 * {@code admin} token named {@value #NAME} covering every namespace, with the secret given in {@value #ENV} (checked
 * by {@link TokenSecret#parse}) or a new random one, and writes the secret to {@code <data>/}{@value #FILE}, readable
 * by the server's user only (0600). It logs the file's path, never the secret.
 *
 * <p>The file is created with mode 0600 at creation (a temporary file beside it, written and forced to disk, then
 * renamed over {@value #FILE}), so that the secret is never readable by others, not even for a moment. The secret is
 * written before the token is stored: a failure to write leaves the store empty and the next start tries again.
 * When several nodes of a new region start at once, one creates the token (the name is unique) and the others
 * find it taken and write nothing.
 *
 * <p>Limits: "no token at all" is how a new region is recognised, so a region whose tokens were all revoked gets
 * a new bootstrap token at the next start of a node. Needs a file system with POSIX permissions.
 */
public final class Bootstrap {
    public static final String NAME = "bootstrap-admin";
    public static final String ENV = "NEST_BOOTSTRAP_TOKEN";
    public static final String FILE = "admin.token";
    private static final Logger LOG = Logger.getLogger(Bootstrap.class.getName());
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private final TokenStore store;
    private final Path dataDir;
    private final Function<String, Optional<String>> env;

    /**
     * @param store   the region's tokens
     * @param dataDir the node's data directory ({@code server.data}), where {@value #FILE} goes
     * @param env     the process environment ({@code name -> Optional.ofNullable(System.getenv(name))})
     */
    public Bootstrap(TokenStore store, Path dataDir, Function<String, Optional<String>> env) {
        this.store = store;
        this.dataDir = dataDir;
        this.env = env;
    }

    /**
     * Creates the bootstrap token when the store is empty.
     *
     * @return the file the secret was written to; empty when the region already had tokens (or another node
     *         created the bootstrap token first)
     * @throws NestException 400 when {@value #ENV} is set but is not a Nest token
     * @throws UncheckedIOException when the file cannot be written (nothing is stored then)
     */
    public Optional<Path> run() {
        if (!store.list().isEmpty()) {
            return Optional.empty();
        }
        Optional<String> preset = env.apply(ENV).map(String::strip).filter(v -> !v.isEmpty());
        TokenSecret secret = preset.map(Bootstrap::parsePreset).orElseGet(TokenSecret::generate);
        Path target = dataDir.resolve(FILE);
        Path temp = writeOwnerOnly(secret);
        try {
            store.create(new NewToken(NAME, Role.ADMIN, List.of("*"), Optional.empty()), secret);
        } catch (NestException e) {
            delete(temp);
            if (e.status() == 409) {
                return Optional.empty(); // another node of the region created it first
            }
            throw e;
        } catch (RuntimeException e) {
            delete(temp);
            throw e;
        }
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            delete(temp);
            throw new UncheckedIOException("created token " + NAME + " but cannot write its secret to " + target
                    + ": " + e.getMessage() + "; revoke it and restart, or set " + ENV, e);
        }
        LOG.info("created the region's first admin token '" + NAME + "'" + (preset.isPresent() ? " from " + ENV : "")
                + "; its secret is in " + target.toAbsolutePath() + " (mode 0600)");
        return Optional.of(target);
    }

    private static TokenSecret parsePreset(String value) {
        try {
            return TokenSecret.parse(value);
        } catch (IllegalArgumentException e) {
            // the value is a secret: say what is wrong, never echo it
            throw NestException.badRequest("environment variable " + ENV + ": the value (not shown) is not valid: "
                    + e.getMessage() + "; allowed: a Nest token, " + TokenSecret.FORM + ", or unset for a random one");
        }
    }

    private Path writeOwnerOnly(TokenSecret secret) {
        Path temp = null;
        try {
            Files.createDirectories(dataDir);
            temp = Files.createTempFile(dataDir, "." + FILE + "-", ".tmp", PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer b = ByteBuffer.wrap((secret.reveal() + "\n").getBytes(StandardCharsets.US_ASCII));
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
            }
            return temp;
        } catch (UnsupportedOperationException e) {
            throw new IllegalStateException("cannot create " + dataDir.resolve(FILE) + " readable by its owner only: "
                    + "the file system has no POSIX permissions; put server.data on one that has", e);
        } catch (IOException e) {
            if (temp != null) {
                delete(temp);
            }
            throw new UncheckedIOException("cannot write the bootstrap admin token to " + dataDir.resolve(FILE) + ": "
                    + e.getMessage(), e);
        }
    }

    private static void delete(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.warning("cannot remove " + p + ": " + e.getMessage());
        }
    }
}
