package dev.nest.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A {@link PeerCredential} derived from a secret shared by the nodes of a cluster: the header
 * {@value #HEADER} carries {@code HMAC-SHA256(secret, "}{@value #CONTEXT}{@code ")} in URL-safe base64, so that the
 * secret itself never travels. {@link #load} reads the secret from {@code <data>/}{@value #FILE}, creating it (32
 * random bytes from {@link SecureRandom}, mode 0600 at creation) when missing.
 *
 * <p>Limits: every node of a cluster must hold the same file (copy it to each node's data directory); a node with
 * another secret has its peer calls refused with 401. The header value is the same on every call (no replay
 * protection): like a token, it needs TLS in front of the public port. Thread-safe (immutable).
 */
public final class SharedSecretPeerCredential implements PeerCredential {
    public static final String HEADER = "X-Nest-Peer";
    public static final String FILE = "cluster.secret";
    static final String CONTEXT = "nest-peer-v1";
    private static final int SECRET_BYTES = 32;

    private final String value;
    private final byte[] expected;

    /** @param secret the cluster's shared secret, at least 32 bytes */
    public SharedSecretPeerCredential(byte[] secret) {
        if (secret.length < SECRET_BYTES) {
            throw new IllegalArgumentException("the cluster secret has " + secret.length + " bytes; it needs at least "
                    + SECRET_BYTES);
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            value = Base64.getUrlEncoder().withoutPadding().encodeToString(
                    mac.doFinal(CONTEXT.getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
        expected = value.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * The credential of the secret in {@code <dataDir>/}{@value #FILE}, created when missing.
     *
     * @throws UncheckedIOException when the file cannot be read or created
     * @throws IllegalStateException when it holds fewer than 32 bytes, or the file system has no POSIX permissions
     */
    public static SharedSecretPeerCredential load(Path dataDir) {
        Path file = dataDir.resolve(FILE);
        try {
            if (!Files.exists(file)) {
                byte[] secret = new byte[SECRET_BYTES];
                new SecureRandom().nextBytes(secret);
                try {
                    Files.createDirectories(dataDir);
                    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                    Files.write(file, secret);
                } catch (FileAlreadyExistsException e) {
                    // created meanwhile: read it below
                } catch (UnsupportedOperationException e) {
                    throw new IllegalStateException("cannot create " + file + " readable by its owner only: the file "
                            + "system has no POSIX permissions; put server.data on one that has", e);
                }
            }
            byte[] secret = Files.readAllBytes(file);
            if (secret.length < SECRET_BYTES) {
                throw new IllegalStateException(file + " holds " + secret.length + " bytes; the cluster secret needs "
                        + "at least " + SECRET_BYTES + ": copy the file of another node of the cluster, or remove it "
                        + "on every node to make a new one");
            }
            return new SharedSecretPeerCredential(secret);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the cluster secret " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String headerName() {
        return HEADER;
    }

    @Override
    public String headerValue() {
        return value;
    }

    @Override
    public boolean verify(String presented) {
        return presented != null
                && MessageDigest.isEqual(expected, presented.strip().getBytes(StandardCharsets.US_ASCII));
    }
}
