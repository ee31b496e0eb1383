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

    @Test
    void countsRecordsUpToOneBeyondTheBound() {
        assertEquals(0, PackageArchive.records(new byte[0], 4));
        assertEquals(1, PackageArchive.records(chunk(1, 300_000), 4));
        assertEquals(3, PackageArchive.records(chunk(3, 10), 4));
        assertEquals(5, PackageArchive.records(chunk(300, 10), 4), "stops one past the bound");
        assertEquals(1, PackageArchive.records(chunk(300, 10), 0));
    }

    @Test
    void aMalformedChunkIsCountedAsFarAsItsHeadersGoWithoutFailing() {
        byte[] c = chunk(3, 1000);
        assertEquals(0, PackageArchive.records(Arrays.copyOf(c, 20), 4), "shorter than one header");
        assertEquals(2, PackageArchive.records(Arrays.copyOf(c, c.length / 3 + 30), 4));
        byte[] lying = chunk(1, 10);
        lying[lying.length - 10 - 4] = 0x7f; // a part length far beyond the chunk
        assertEquals(1, PackageArchive.records(lying, 4));
        byte[] noise = new byte[4096];
        new java.util.Random(3).nextBytes(noise);
        PackageArchive.records(noise, 4);
    }
}
