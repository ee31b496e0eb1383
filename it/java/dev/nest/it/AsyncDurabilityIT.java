package dev.nest.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Durability of async invocations on the H2 queue: {@code nest.it.async.invocations} (10,000) async invocations of
 * a Node.js function that appends its invocation id to a file, sent from 8 client threads while the node (its own
 * process, process driver) is {@code kill -9}ed at three random moments and started again on the same data
 * directory and port. Every id that got a 202 must have run at least once (lost = 0); duplicates are printed, not
 * asserted (delivery is at least once). Seed: {@code nest.it.async.seed} (random, printed).
 */
class AsyncDurabilityIT {
    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedInvocationRunsAtLeastOnceAcrossThreeKills() throws Exception {
        Engines.requireNode();
        int n = Integer.getInteger("nest.it.async.invocations", 10_000);
        long seed = Long.getLong("nest.it.async.seed", System.nanoTime());
        AsyncDurabilityRun.Result r = AsyncDurabilityRun.run(dir,
                new AsyncDurabilityRun.Settings(n, 8, 3, seed, Duration.ofSeconds(120)), System.out);
        System.out.println("AsyncDurabilityIT (seed " + seed + "): " + r.summary());
        assertEquals(n, r.acknowledged(), "every request is retried until acknowledged: " + r.summary());
        assertEquals(3, r.kills(), r.summary());
        assertEquals(0, r.lost(), "acknowledged but never run: " + r.lostSample() + "; " + r.summary());
        assertTrue(r.executed() == r.acknowledged(), r.summary());
    }
}
