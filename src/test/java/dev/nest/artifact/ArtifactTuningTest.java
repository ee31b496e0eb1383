package dev.nest.artifact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ArtifactTuningTest {
    private static ArtifactTuning withFetches(int n) {
        ArtifactTuning d = ArtifactTuning.DEFAULT;
        return new ArtifactTuning(d.unpackParallelism(), d.chunkCachePendingBytes(), d.platformWriters(), d.blockingHttp(),
                d.directMaxFiles(), d.platformFetchers(), d.directBuffers(), n);
    }

    @ParameterizedTest
    @CsvSource({"0, false", "-1, false", "65, false", "1, true", "4, true", "64, true"})
    void fetchParallelismIsBounded(int n, boolean allowed) {
        if (allowed) {
            assertEquals(n, withFetches(n).fetchParallelism());
        } else {
            ArtifactException e = assertThrows(ArtifactException.class, () -> withFetches(n));
            assertEquals(500, e.status());
            assertTrue(e.getMessage().contains("fetch parallelism " + n + " is out of range; use 1 to 64"), e.getMessage());
        }
    }
}
