package dev.nest.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nest.function.FunctionId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A node's placements turned into its agent's targets, with a recording agent. */
class PlacementFollowerTest {
    private static final FunctionId F = FunctionId.of("default", "f");
    private static final FunctionId G = FunctionId.of("default", "g");

    final Map<FunctionId, Integer> placed = new HashMap<>();
    final Map<FunctionId, Integer> agent = new HashMap<>();
    final List<String> calls = new ArrayList<>();
    boolean leading;
    final Targets targets = new Targets() {
        @Override
        public Optional<Integer> target(FunctionId id) {
            return Optional.ofNullable(agent.get(id));
        }

        @Override
        public void setTarget(FunctionId id, int instances) {
            agent.put(id, instances);
            calls.add("set " + id.name() + " " + instances);
        }

        @Override
        public void clearTarget(FunctionId id) {
            agent.remove(id);
            calls.add("clear " + id.name());
        }
    };
    final PlacementFollower follower = new PlacementFollower(() -> Map.copyOf(placed), targets, () -> leading);

    @Test
    void placementsBecomeTargetsAndUnchangedOnesAreNotSetAgain() {
        placed.put(F, 2);
        placed.put(G, 1);
        follower.reconcile();
        assertEquals(Map.of(F, 2, G, 1), agent);
        calls.clear();
        follower.reconcile();
        assertEquals(List.of(), calls, "nothing changed");
        placed.put(F, 3);
        follower.reconcile();
        assertEquals(List.of("set f 3"), calls);
    }

    @Test
    void aPlacementThatGoesAwayDrainsOncePassThenClears() {
        placed.put(F, 2);
        follower.reconcile();
        placed.clear();
        calls.clear();
        follower.reconcile();
        assertEquals(List.of("set f 0"), calls, "idle instances stop at once: the function runs elsewhere now");
        follower.reconcile();
        assertEquals(List.of("set f 0", "clear f"), calls, "then back to keep-alive behaviour");
        follower.reconcile();
        assertEquals(2, calls.size(), "a cleared target is not touched again");
    }

    @Test
    void aPlacementThatComesBackBeforeTheClearIsKept() {
        placed.put(F, 1);
        follower.reconcile();
        placed.clear();
        follower.reconcile();
        placed.put(F, 1);
        follower.reconcile();
        follower.reconcile();
        assertEquals(Map.of(F, 1), agent);
    }

    @Test
    void targetsItNeverSetAreLeftAlone() {
        agent.put(G, 4); // set by this node's own scheduler while it led
        follower.reconcile();
        assertEquals(Map.of(G, 4), agent);
        assertEquals(List.of(), calls);
    }

    @Test
    void whileLeadingItStandsAside() {
        leading = true;
        placed.put(F, 2);
        follower.reconcile();
        assertEquals(List.of(), calls);
        leading = false;
        follower.reconcile();
        assertEquals(Map.of(F, 2), agent);
    }
}
