package dev.nest.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PodLinesTest {
    private final List<String> lines = new ArrayList<>();
    private final PodLines out = new PodLines("p1", false, (pod, stderr, line) -> lines.add(line));

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void cutsAtNewlinesAcrossPiecesAndDropsCarriageReturns() {
        out.append(bytes("one\r\ntw"));
        out.append(ByteBuffer.wrap(bytes("o\nthr")));
        assertEquals(List.of("one", "two"), lines);
        out.flush();
        out.flush();
        assertEquals(List.of("one", "two", "thr"), lines);
    }

    @Test
    void decodesCharactersSplitBetweenPieces() {
        byte[] euro = bytes("€\n");
        out.append(new byte[] {euro[0]});
        out.append(ByteBuffer.wrap(euro, 1, euro.length - 1));
        assertEquals(List.of("€"), lines);
    }

    @Test
    void passesLongLinesOnInPiecesOfMaxLine() {
        out.append(bytes("x".repeat(PodLines.MAX_LINE + 10) + "\n" + "y".repeat(PodLines.MAX_LINE) + "\n"));
        assertEquals(List.of(PodLines.MAX_LINE, 10, PodLines.MAX_LINE), lines.stream().map(String::length).toList());
    }

    @Test
    void aFailingListenerDoesNotStopTheLines() {
        List<String> seen = new ArrayList<>();
        PodLines failing = new PodLines("p1", true, (pod, stderr, line) -> {
            seen.add(line);
            throw new IllegalStateException("listener broke");
        });
        failing.append(bytes("a\nb\n"));
        assertEquals(List.of("a", "b"), seen);
    }
}
