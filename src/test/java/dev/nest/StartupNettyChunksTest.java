package dev.nest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Startup#nettyChunks}: Netty's allocator gets 1 MiB chunks by default, and a value the JVM was given
 * ({@code -Dio.netty.allocator.maxOrder=...}) is kept.
 */
class StartupNettyChunksTest {
    private String before;

    @BeforeEach
    void save() {
        before = System.getProperty(Startup.NETTY_MAX_ORDER);
    }

    @AfterEach
    void restore() {
        if (before == null) {
            System.clearProperty(Startup.NETTY_MAX_ORDER);
        } else {
            System.setProperty(Startup.NETTY_MAX_ORDER, before);
        }
    }

    @Test
    void withoutAValueTheChunksAreOneMebibyte() {
        System.clearProperty(Startup.NETTY_MAX_ORDER);
        Startup.nettyChunks();
        assertEquals("7", System.getProperty(Startup.NETTY_MAX_ORDER)); // 8 KiB pages << 7 = 1 MiB
    }

    @Test
    void aValueTheJvmWasGivenIsKept() {
        System.setProperty(Startup.NETTY_MAX_ORDER, "11");
        Startup.nettyChunks();
        assertEquals("11", System.getProperty(Startup.NETTY_MAX_ORDER));
    }
}
