package dev.nest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class StartupDefaultsTest {
    @Test
    void theGatewayRunsOneEventLoopPerTwoProcessorsAndAtLeastOne() {
        assertEquals(1, Startup.defaultEventLoops(1));
        assertEquals(1, Startup.defaultEventLoops(2));
        assertEquals(1, Startup.defaultEventLoops(3));
        assertEquals(2, Startup.defaultEventLoops(4));
        assertEquals(16, Startup.defaultEventLoops(32));
    }
}
