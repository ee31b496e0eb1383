package dev.nest.driver.containerd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.spi.PodLines;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The output FIFOs with a writer standing in for the shim (real FIFOs; the readers are the class's own threads). */
class PodOutputTest {
    @TempDir
    Path tmp;

    @Test
    void linesOfBothStreamsReachTheListenerAndTheEndIsSeenOnceTheWriterIsGone() throws IOException {
        List<String> lines = new CopyOnWriteArrayList<>();
        PodOutput out = PodOutput.create("p1", tmp.resolve("pod"), (id, stderr, line) -> lines.add(id + (stderr ? " err " : " out ") + line));
        out.open();
        try (FileOutputStream o = new FileOutputStream(out.stdout().toFile());
             FileOutputStream e = new FileOutputStream(out.stderr().toFile())) {
            o.write("first\nsecond\r\nwith ü".getBytes(StandardCharsets.UTF_8));
            e.write("oops\n".getBytes(StandardCharsets.UTF_8));
            out.release();
            assertFalse(out.awaitEnd(0), "no end while the writer holds its side");
        }
        assertTrue(out.awaitEnd(10_000), "both streams end once the last writer closed");
        assertEquals(List.of("p1 out first", "p1 out second", "p1 out with ü"), lines.stream().filter(l -> l.contains(" out ")).toList());
        assertEquals(List.of("p1 err oops"), lines.stream().filter(l -> l.contains(" err ")).toList());
        out.close();
        assertFalse(Files.exists(tmp.resolve("pod")), "close deletes the FIFOs' directory");
    }

    @Test
    void aLongLineIsPassedOnInPiecesAndCloseEndsTheReadersAtOnce() throws IOException {
        List<String> lines = new CopyOnWriteArrayList<>();
        PodOutput out = PodOutput.create("p2", tmp.resolve("pod2"), (id, stderr, line) -> lines.add(line));
        out.open();
        try (FileOutputStream o = new FileOutputStream(out.stdout().toFile())) {
            o.write(("x".repeat(PodLines.MAX_LINE + 10) + "\n").getBytes(StandardCharsets.UTF_8));
        }
        out.release();
        assertTrue(out.awaitEnd(10_000));
        assertEquals(List.of(PodLines.MAX_LINE, 10), lines.stream().map(String::length).toList());

        PodOutput never = PodOutput.create("p3", tmp.resolve("pod3"), (id, stderr, line) -> { });
        never.open();
        never.close();
        assertTrue(never.awaitEnd(10_000), "close ends readers whose writer never came");
    }
}
