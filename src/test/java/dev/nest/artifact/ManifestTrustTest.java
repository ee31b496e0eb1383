package dev.nest.artifact;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The trust decision as a table: what the cluster recorded, what the peer served, how the fetch verifies. */
class ManifestTrustTest {
    private static final byte[] SERVED = "{\"format\":\"nest-chunks/1\"}".getBytes(StandardCharsets.UTF_8);
    private static final String SERVED_SHA = ManifestTrust.sha256(SERVED);

    static Stream<Arguments> table() {
        return Stream.of(
                Arguments.of("recorded, matches the served manifest", Optional.of(SERVED_SHA), ManifestTrust.Mode.CHUNKS_ONLY),
                Arguments.of("nothing recorded", Optional.empty(), ManifestTrust.Mode.FULL),
                Arguments.of("recorded, another manifest (repacked or tampered)", Optional.of("0".repeat(64)), ManifestTrust.Mode.FULL),
                Arguments.of("recorded, upper-case hex", Optional.of(SERVED_SHA.toUpperCase(java.util.Locale.ROOT)), ManifestTrust.Mode.FULL),
                Arguments.of("recorded, not a sha256", Optional.of("sha256:" + SERVED_SHA), ManifestTrust.Mode.FULL),
                Arguments.of("recorded, empty", Optional.of(""), ManifestTrust.Mode.FULL));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void decides(String what, Optional<String> recorded, ManifestTrust.Mode expected) {
        assertEquals(expected, ManifestTrust.decide(recorded, SERVED).mode());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void aTamperedManifestIsNeverTrusted(String what, Optional<String> recorded, ManifestTrust.Mode ignored) {
        byte[] tampered = SERVED.clone();
        tampered[tampered.length - 2] ^= 1;
        assertEquals(ManifestTrust.Mode.FULL, ManifestTrust.decide(recorded, tampered).mode());
    }
}
