package dev.nest.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LazyTest {
    @Test
    void buildsOnFirstUseOnlyAndKeepsTheValue() {
        AtomicInteger builds = new AtomicInteger();
        Lazy<Object> lazy = Lazy.of(() -> {
            builds.incrementAndGet();
            return new Object();
        });
        assertEquals(0, builds.get());
        assertFalse(lazy.isBuilt());
        Object first = lazy.get();
        assertSame(first, lazy.get());
        assertEquals(1, builds.get());
        assertTrue(lazy.isBuilt());
    }

    @Test
    void aFailedBuildKeepsNothingAndIsTriedAgain() {
        AtomicInteger calls = new AtomicInteger();
        Lazy<String> lazy = Lazy.of(() -> {
            if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("first build fails");
            }
            return "built";
        });
        assertThrows(IllegalStateException.class, lazy::get);
        assertFalse(lazy.isBuilt());
        assertEquals("built", lazy.get());
        assertEquals(2, calls.get());
    }

    @Test
    void aFactoryReturningNullIsAnError() {
        Lazy<String> lazy = Lazy.of(() -> null);
        assertThrows(NullPointerException.class, lazy::get);
        assertFalse(lazy.isBuilt());
    }
}
