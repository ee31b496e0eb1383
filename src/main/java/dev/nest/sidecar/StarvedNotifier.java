package dev.nest.sidecar;

import dev.nest.function.FunctionId;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Tells listeners (the autoscaler, the load reporter) that a request of a function queued because no instance was
 * free. Calls are made on one notifier thread, never on the request's; a burst of one function is coalesced into one
 * call while the previous one has not run yet. A listener that throws is logged and kept. After {@link #close}
 * nothing is told.
 */
final class StarvedNotifier implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(StarvedNotifier.class.getName());

    private final List<Consumer<FunctionId>> listeners = new CopyOnWriteArrayList<>();
    private final Set<FunctionId> pending = ConcurrentHashMap.newKeySet();
    private final ExecutorService notifier = Executors.newSingleThreadExecutor(
            r -> Thread.ofPlatform().name("nest-agent-starved").daemon().unstarted(r));

    void add(Consumer<FunctionId> listener) {
        listeners.add(listener);
    }

    /** A request of {@code id} queued; returns at once. */
    void starved(FunctionId id) {
        if (listeners.isEmpty() || !pending.add(id)) {
            return;
        }
        try {
            notifier.execute(() -> {
                pending.remove(id);
                for (Consumer<FunctionId> l : listeners) {
                    try {
                        l.accept(id);
                    } catch (RuntimeException e) {
                        LOG.log(Level.WARNING, "starved listener failed for " + id, e);
                    }
                }
            });
        } catch (RejectedExecutionException stopping) {
            pending.remove(id);
        }
    }

    @Override
    public void close() {
        notifier.shutdownNow();
    }
}
