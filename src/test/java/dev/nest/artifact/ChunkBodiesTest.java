package dev.nest.artifact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The pool of received chunk bodies: exact lengths only, bounded. */
class ChunkBodiesTest {
    @Test
    void anArrayGivenBackIsTakenAgainForItsLengthOnly() {
        ChunkBodies p = new ChunkBodies(100);
        byte[] a = p.take(40);
        assertEquals(40, a.length);
        p.give(a);
        assertEquals(40, p.keptBytes());
        byte[] other = p.take(39);
        assertNotSame(a, other, "another length never gets a kept array");
        assertEquals(39, other.length);
        assertSame(a, p.take(40));
        assertEquals(0, p.keptBytes());
        assertNotSame(a, p.take(40), "an array is handed out once");
    }

    @Test
    void arraysBeyondTheBoundAreNotKept() {
        ChunkBodies p = new ChunkBodies(100);
        byte[] a = new byte[60];
        byte[] b = new byte[60];
        p.give(a);
        p.give(b);
        assertEquals(60, p.keptBytes());
        assertSame(a, p.take(60));
        assertNotSame(b, p.take(60));
        ChunkBodies none = new ChunkBodies(0);
        byte[] c = new byte[1];
        none.give(c);
        assertNotSame(c, none.take(1));
        assertEquals(0, none.keptBytes());
    }

    @Test
    void aNegativeBoundIsRefused() {
        ArtifactException e = assertThrows(ArtifactException.class, () -> new ChunkBodies(-1));
        assertEquals(500, e.status());
    }
}
