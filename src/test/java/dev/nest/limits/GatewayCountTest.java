package dev.nest.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The live gateway count kept in memory from membership changes. */
class GatewayCountTest {
    @Test
    void readsNowAndAgainOnEachChangeNeverBelowOne() {
        AtomicInteger nodes = new AtomicInteger(3);
        List<Runnable> listeners = new ArrayList<>();
        GatewayCount count = GatewayCount.cached(nodes::get, listeners::add);
        assertEquals(3, count.live());
        nodes.set(5);
        assertEquals(3, count.live(), "read only when told of a change");
        listeners.forEach(Runnable::run);
        assertEquals(5, count.live());
        nodes.set(0);
        listeners.forEach(Runnable::run);
        assertEquals(1, count.live(), "a node that sees no registration enforces the whole limit");
    }

    @Test
    void aFailingReadCountsAsOne() {
        List<Runnable> listeners = new ArrayList<>();
        GatewayCount count = GatewayCount.cached(() -> {
            throw new IllegalStateException("no mirror");
        }, listeners::add);
        assertEquals(1, count.live());
    }
}
