package dev.nest.artifact;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** {@link PackageArchive#records}: how a fetch decides who writes a chunk's files. */
class PackageArchiveRecordsTest {
    private static byte[] record(String path, int part) {
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(1 + 2 + p.length + 2 + 8 + 8 + 4 + part);
        b.put(PackageArchive.FILE).putShort((short) p.length).put(p).putShort((short) 0644).putLong(part).putLong(0).putInt(part);
        return b.array();
    }

    private static byte[] chunk(int files, int partBytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < files; i++) {
            out.writeBytes(record("dir/file-" + i + ".js", partBytes));
        }
        return out.toByteArray();
    }

    /**
     * {@link PackageArchive#records(byte[], int)}, checked against the {@link ByteBuffer} variant on a direct buffer whose
     * bytes start at an offset (as a fetch's reused buffer hands them over).
     */
    private static int count(byte[] raw, int max) {
        int n = PackageArchive.records(raw, max);
        ByteBuffer direct = ByteBuffer.allocateDirect(raw.length + 7).position(7).put(raw).position(7);
        assertEquals(n, PackageArchive.records(direct, max), "the direct buffer counts as the array");
        assertEquals(7, direct.position(), "counting does not move the buffer");
        return n;
    }

    @Test
    void countsRecordsUpToOneBeyondTheBound() {
        assertEquals(0, count(new byte[0], 4));
        assertEquals(1, count(chunk(1, 300_000), 4));
        assertEquals(3, count(chunk(3, 10), 4));
        assertEquals(5, count(chunk(300, 10), 4), "stops one past the bound");
        assertEquals(1, count(chunk(300, 10), 0));
    }

    @Test
    void aMalformedChunkIsCountedAsFarAsItsHeadersGoWithoutFailing() {
        byte[] c = chunk(3, 1000);
        assertEquals(0, count(Arrays.copyOf(c, 20), 4), "shorter than one header");
        assertEquals(2, count(Arrays.copyOf(c, c.length / 3 + 30), 4));
        byte[] lying = chunk(1, 10);
        lying[lying.length - 10 - 4] = 0x7f; // a part length far beyond the chunk
        assertEquals(1, count(lying, 4));
        byte[] noise = new byte[4096];
        new java.util.Random(3).nextBytes(noise);
        count(noise, 4);
    }
}
