package dev.nest.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TokenSecretTest {
    private static final String BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    @Test
    void aNewSecretHasThePrefixTheLengthAndBase62() {
        String s = TokenSecret.generate().reveal();
        assertTrue(s.startsWith("nest_"), s.substring(0, 5));
        assertEquals(54, s.length());
        assertEquals(TokenSecret.LENGTH, s.length());
        assertTrue(s.substring(5).chars().allMatch(c -> BASE62.indexOf(c) >= 0));
    }

    @Test
    void aNewSecretParsesBackToItself() {
        TokenSecret s = TokenSecret.generate();
        assertEquals(s, TokenSecret.parse(s.reveal()));
        assertEquals(s.reveal(), TokenSecret.parse(s.reveal()).reveal());
    }

    @Test
    void secretsAreRandom() {
        Set<String> seen = new HashSet<>();
        SecureRandom random = new SecureRandom();
        for (int i = 0; i < 1000; i++) {
            assertTrue(seen.add(TokenSecret.generate(random).reveal()));
        }
    }

    @Test
    void theChecksumDetectsAnyChangedCharacter() {
        String s = TokenSecret.generate().reveal();
        for (int i = TokenSecret.PREFIX.length(); i < s.length(); i++) {
            for (int shift : new int[] {1, 17, 61}) {
                char changed = BASE62.charAt((BASE62.indexOf(s.charAt(i)) + shift) % 62);
                String altered = s.substring(0, i) + changed + s.substring(i + 1);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TokenSecret.parse(altered),
                        "changed position " + i);
                assertTrue(e.getMessage().contains("checksum"), e.getMessage());
            }
        }
    }

    @Test
    void twoSwappedCharactersAreDetected() {
        String s = TokenSecret.generate().reveal();
        int i = 10;
        while (s.charAt(i) == s.charAt(i + 1)) {
            i++;
        }
        String swapped = s.substring(0, i) + s.charAt(i + 1) + s.charAt(i) + s.substring(i + 2);
        assertThrows(IllegalArgumentException.class, () -> TokenSecret.parse(swapped));
    }

    @Test
    void aWrongPrefixIsRefused() {
        String s = TokenSecret.generate().reveal();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TokenSecret.parse("nost_" + s.substring(5)));
        assertTrue(e.getMessage().contains("does not start with nest_"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TokenSecret.parse("NEST_" + s.substring(5)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "nest_", "nest_abc", "ghp_0123456789012345678901234567890123456789",
            "nest_0000000000000000000000000000000000000000000000000000000"})
    void malformedTextIsRefused(String text) {
        assertThrows(IllegalArgumentException.class, () -> TokenSecret.parse(text));
    }

    @Test
    void aCutOrPaddedSecretIsRefusedByLength() {
        String s = TokenSecret.generate().reveal();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TokenSecret.parse(s.substring(0, s.length() - 1)));
        assertTrue(e.getMessage().contains("53 characters, not 54"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TokenSecret.parse(s + "0"));
        assertThrows(IllegalArgumentException.class, () -> TokenSecret.parse(s + "\n"));
    }

    @Test
    void aCharacterOutsideBase62IsRefused() {
        String s = TokenSecret.generate().reveal();
        assertThrows(IllegalArgumentException.class, () -> TokenSecret.parse(s.substring(0, 20) + "-" + s.substring(21)));
    }

    @Test
    void errorMessagesNeverContainTheText() {
        String s = TokenSecret.generate().reveal();
        String altered = s.substring(0, 30) + (s.charAt(30) == 'a' ? 'b' : 'a') + s.substring(31);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TokenSecret.parse(altered));
        assertFalse(e.getMessage().contains(altered.substring(5, 20)), e.getMessage());
    }

    @Test
    void toStringShowsOnlyTheDisplayPrefix() {
        TokenSecret s = TokenSecret.generate();
        assertEquals(s.reveal().substring(0, 13), s.displayPrefix());
        assertEquals(s.displayPrefix() + "...", s.toString());
        assertFalse(s.toString().contains(s.reveal().substring(13)));
    }

    @Test
    void theHashIsSha256OfTheWholeSecret() throws Exception {
        TokenSecret s = TokenSecret.generate();
        assertEquals(32, s.sha256().length);
        byte[] expected = java.security.MessageDigest.getInstance("SHA-256")
                .digest(s.reveal().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        assertTrue(java.util.Arrays.equals(expected, s.sha256()));
        assertNotEquals(java.util.HexFormat.of().formatHex(s.sha256()), TokenSecret.generate().sha256());
    }

    @Test
    void theChecksumOfAKnownBodyIsStable() {
        // CRC32("0" x 43) in base62, fixed so that scanners written elsewhere can rely on it
        String body = "0".repeat(TokenSecret.BODY_LENGTH);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(body.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        long v = crc.getValue();
        StringBuilder b62 = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            b62.insert(0, BASE62.charAt((int) (v % 62)));
            v /= 62;
        }
        assertEquals(b62.toString(), TokenSecret.checksum(body));
        assertEquals(TokenSecret.parse("nest_" + body + b62).reveal(), "nest_" + body + b62);
    }
}
