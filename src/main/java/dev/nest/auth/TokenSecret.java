package dev.nest.auth;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.zip.CRC32;

/**
 * A token's secret, in the form {@code nest_<body><checksum>}:
 * <ul>
 *   <li>{@code nest_}: the prefix, so that people and leak scanners recognise a Nest token;</li>
 *   <li>body: 32 bytes from {@link SecureRandom} as an unsigned number in base62 ({@code 0-9A-Za-z}), zero-padded
 *       to {@value #BODY_LENGTH} characters;</li>
 *   <li>checksum: the CRC32 of the body's ASCII characters in base62, zero-padded to {@value #CHECKSUM_LENGTH}
 *       characters, so that a scanner (and {@link #parse}) tells a real token from random text without a lookup.</li>
 * </ul>
 * {@value #LENGTH} characters in all. Only the {@link #sha256() SHA-256} of the whole string is ever stored (the
 * secret carries 256 bits of entropy, so a fast hash is enough) together with a {@link #displayPrefix() display
 * prefix} ({@code nest_} and the body's first {@value #DISPLAY_CHARS} characters), which is how lists and messages
 * name a token.
 *
 * <p>{@link #toString()} shows only the display prefix; {@link #reveal()} is the one way to the secret. Immutable.
 */
public final class TokenSecret {
    public static final String PREFIX = "nest_";
    public static final int BODY_LENGTH = 43;
    public static final int CHECKSUM_LENGTH = 6;
    public static final int LENGTH = PREFIX.length() + BODY_LENGTH + CHECKSUM_LENGTH;
    /** The body characters that name a token in lists and messages. */
    public static final int DISPLAY_CHARS = 8;
    /** What a token looks like, for messages. */
    public static final String FORM = PREFIX + " followed by " + (BODY_LENGTH + CHECKSUM_LENGTH)
            + " letters and digits (" + LENGTH + " characters in all)";
    static final int RANDOM_BYTES = 32;
    private static final String BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private static final BigInteger SIXTY_TWO = BigInteger.valueOf(62);

    private static final class Random {
        static final SecureRandom INSTANCE = new SecureRandom();
    }

    private final String value;

    private TokenSecret(String value) {
        this.value = value;
    }

    /** A new secret from a shared {@link SecureRandom}. */
    public static TokenSecret generate() {
        return generate(Random.INSTANCE);
    }

    /** A new secret of {@value #RANDOM_BYTES} bytes from {@code random}. */
    public static TokenSecret generate(SecureRandom random) {
        byte[] bytes = new byte[RANDOM_BYTES];
        random.nextBytes(bytes);
        String body = base62(new BigInteger(1, bytes), BODY_LENGTH);
        return new TokenSecret(PREFIX + body + checksum(body));
    }

    /**
     * Checks the form of {@code text} (prefix, length, characters, checksum) without any lookup.
     *
     * @throws IllegalArgumentException saying what is wrong; the message never contains {@code text}
     */
    public static TokenSecret parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("the token is empty");
        }
        if (!text.startsWith(PREFIX)) {
            throw new IllegalArgumentException("the token does not start with " + PREFIX);
        }
        if (text.length() != LENGTH) {
            throw new IllegalArgumentException("the token has " + text.length() + " characters, not " + LENGTH);
        }
        for (int i = PREFIX.length(); i < LENGTH; i++) {
            char c = text.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z')) {
                throw new IllegalArgumentException("the token has a character other than letters and digits after "
                        + PREFIX);
            }
        }
        String body = text.substring(PREFIX.length(), PREFIX.length() + BODY_LENGTH);
        if (!text.endsWith(checksum(body))) {
            throw new IllegalArgumentException("the token's checksum does not match (it was changed or cut when "
                    + "copied)");
        }
        return new TokenSecret(text);
    }

    /** The secret itself: give it to the user once, never log it. */
    public String reveal() {
        return value;
    }

    /** {@code nest_} and the body's first {@value #DISPLAY_CHARS} characters: names the token without revealing it. */
    public String displayPrefix() {
        return value.substring(0, PREFIX.length() + DISPLAY_CHARS);
    }

    /** The SHA-256 of the whole secret's characters: what a store keeps. */
    public byte[] sha256() {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** Compares in constant time. */
    @Override
    public boolean equals(Object o) {
        return o instanceof TokenSecret t && MessageDigest.isEqual(value.getBytes(StandardCharsets.US_ASCII),
                t.value.getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    public int hashCode() {
        return displayPrefix().hashCode();
    }

    /** The display prefix only: a secret never reaches a log through {@code toString}. */
    @Override
    public String toString() {
        return displayPrefix() + "...";
    }

    static String checksum(String body) {
        CRC32 crc = new CRC32();
        crc.update(body.getBytes(StandardCharsets.US_ASCII));
        // a CRC32 fits in a long: the same digits as base62(BigInteger), without its allocations (parse runs per call)
        long n = crc.getValue();
        char[] out = new char[CHECKSUM_LENGTH];
        for (int i = CHECKSUM_LENGTH - 1; i >= 0; i--) {
            out[i] = BASE62.charAt((int) (n % 62));
            n /= 62;
        }
        if (n != 0) {
            throw new IllegalStateException("a CRC32 needs more than " + CHECKSUM_LENGTH + " base62 digits");
        }
        return new String(out);
    }

    private static String base62(BigInteger n, int width) {
        char[] out = new char[width];
        for (int i = width - 1; i >= 0; i--) {
            BigInteger[] qr = n.divideAndRemainder(SIXTY_TWO);
            out[i] = BASE62.charAt(qr[1].intValue());
            n = qr[0];
        }
        if (n.signum() != 0) {
            throw new IllegalArgumentException("the number needs more than " + width + " base62 digits");
        }
        return new String(out);
    }
}
