package dev.nest.limits;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.IntSupplier;

/**
 * How many gateways share the region's traffic (every live node runs one): each enforces {@code 1/live()} of a
 * rate limit. Read on every limited invocation, so it answers from memory.
 */
@FunctionalInterface
public interface GatewayCount {
    /** A node alone. */
    GatewayCount ONE = () -> 1;

    /** The live gateways, at least 1. */
    int live();

    /**
     * A count kept in memory: read from {@code count} now and again each time {@code onChange} reports a change of
     * the live nodes (a value below 1, or a failing read, counts as 1: a node that cannot see its peers enforces the
     * whole limit rather than none of it).
     */
    static GatewayCount cached(IntSupplier count, Consumer<Runnable> onChange) {
        AtomicInteger live = new AtomicInteger(1);
        Runnable refresh = () -> {
            int n;
            try {
                n = count.getAsInt();
            } catch (RuntimeException e) {
                n = 1;
            }
            live.set(Math.max(1, n));
        };
        onChange.accept(refresh);
        refresh.run();
        return live::get;
    }
}
