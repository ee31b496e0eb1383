package dev.nest.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The compact form of a node's unpacked packages: 32 bytes per digest, ordered, capped, refused when malformed. */
class CachedPackagesTest {
    private static String digest(int i) {
        byte[] b = new byte[32];
        b[0] = (byte) (i >> 8);
        b[31] = (byte) i;
        return "sha256:" + HexFormat.of().formatHex(b);
    }

    @Test
    void digestsSurviveTheRoundTrip() {
        Set<String> in = Set.of(digest(1), digest(2), digest(300),
                "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
        byte[] data = CachedPackages.encode(in, 100);
        assertEquals(1 + 32 * 4, data.length, "a format byte and 32 bytes per digest");
        assertEquals(in, CachedPackages.decode(data));
    }

    @Test
    void theEncodingIsOrderedSoThatEqualSetsGiveEqualBytes() {
        List<String> forward = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            forward.add(digest(i));
        }
        List<String> backward = new ArrayList<>(forward.reversed());
        assertArrayEquals(CachedPackages.encode(forward, 100), CachedPackages.encode(backward, 100));
    }

    @Test
    void anEmptySetIsOneByte() {
        byte[] data = CachedPackages.encode(Set.of(), 100);
        assertEquals(1, data.length);
        assertEquals(Set.of(), CachedPackages.decode(data));
    }

    @Test
    void beyondTheCapTheLowestDigestsAreKept() {
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            many.add(digest(i));
        }
        assertEquals(Set.of(digest(0), digest(1), digest(2)), CachedPackages.decode(CachedPackages.encode(many, 3)));
    }

    @Test
    void aBareHexDigestIsAcceptedAndAnythingElseLeftOut() {
        String hex = digest(7).substring(7);
        Set<String> out = CachedPackages.decode(CachedPackages.encode(List.of(hex, "sha256:short", "not a digest",
                "sha256:" + "zz".repeat(32)), 100));
        assertEquals(Set.of(digest(7)), out);
    }

    @Test
    void malformedDocumentsAreRefusedWithTheReason() {
        assertEquals("format none is not 1",
                assertThrows(IllegalArgumentException.class, () -> CachedPackages.decode(new byte[0])).getMessage());
        assertEquals("format 2 is not 1",
                assertThrows(IllegalArgumentException.class, () -> CachedPackages.decode(new byte[] {2})).getMessage());
        byte[] cut = new byte[34];
        cut[0] = 1;
        assertEquals("34 bytes is not 1 + 32 per digest",
                assertThrows(IllegalArgumentException.class, () -> CachedPackages.decode(cut)).getMessage());
    }
}
