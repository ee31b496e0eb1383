package dev.nest.placement;

import dev.nest.function.FunctionId;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One node's side of the placements: makes the node agent's targets follow what the leader placed on this node.
 * A placement of {@code n} becomes target {@code n}; a target this follower set whose placement is gone becomes 0
 * for one pass (idle instances stop at once: the function was placed elsewhere, for instance after this node was
 * cut off and came back) and is cleared on the next (back to the keep-alive behaviour for requests that still
 * arrive here). While this node leads, its own scheduler steers the agent directly and the follower stands aside.
 *
 * <p>Lifecycle: {@link #start} runs {@link #reconcile} at once, after each {@link #changed} and every second, on one
 * thread ({@code nest-placements}); {@link #close} stops it. {@link #reconcile} is what tests call.
 */
public final class PlacementFollower implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PlacementFollower.class.getName());

    private final Supplier<Map<FunctionId, Integer>> placed;
    private final Targets targets;
    private final BooleanSupplier leading;
    /** Functions whose target this follower set: false while placed, true after it was zeroed for a missing placement. */
    private final Map<FunctionId, Boolean> steered = new HashMap<>();
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("nest-placements").unstarted(r));

    /**
     * @param placed  this node's placements, instances by function (from the in-memory mirror; must not block)
     * @param targets the local node agent
     * @param leading whether this node leads now
     */
    public PlacementFollower(Supplier<Map<FunctionId, Integer>> placed, Targets targets, BooleanSupplier leading) {
        this.placed = placed;
        this.targets = targets;
        this.leading = leading;
    }

    public void start() {
        thread.scheduleWithFixedDelay(this::safely, 0, 1, TimeUnit.SECONDS);
    }

    /** The placements or the leadership changed: reconcile soon. Never blocks. */
    public void changed() {
        try {
            thread.execute(this::safely);
        } catch (RejectedExecutionException closed) {
            // closing
        }
    }

    private void safely() {
        try {
            reconcile();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "following the placements failed; retrying in a second", e);
        }
    }

    /** One pass: placements to targets, as described on the class. */
    public synchronized void reconcile() {
        if (leading.getAsBoolean()) {
            steered.clear();
            return;
        }
        Map<FunctionId, Integer> wanted = placed.get();
        for (Map.Entry<FunctionId, Integer> e : wanted.entrySet()) {
            if (!targets.target(e.getKey()).equals(java.util.Optional.of(e.getValue()))) {
                targets.setTarget(e.getKey(), e.getValue());
            }
            steered.put(e.getKey(), false);
        }
        for (Iterator<Map.Entry<FunctionId, Boolean>> it = steered.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<FunctionId, Boolean> e = it.next();
            if (wanted.containsKey(e.getKey())) {
                continue;
            }
            if (e.getValue()) {
                targets.clearTarget(e.getKey());
                it.remove();
            } else {
                targets.setTarget(e.getKey(), 0);
                e.setValue(true);
            }
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
