package dev.nest.async;

/**
 * The built-in {@code async.queue: h2}: {@link H2EventQueue} in the node's database. It takes no settings
 * ({@code async.h2:} must be empty).
 */
public final class H2QueueProvider implements EventQueueProvider {
    @Override
    public String name() {
        return "h2";
    }

    @Override
    public EventQueue open(QueueContext context) {
        if (!context.settings().isEmpty()) {
            throw new IllegalArgumentException("async.h2: " + context.settings().keySet()
                    + " are not settings of the h2 queue; it takes none (it lives in the node's database)");
        }
        return H2EventQueue.open(context.jdbcUrl(), context.clock());
    }
}
