package dev.nest.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionSpec;
import dev.nest.function.QueueSpec;
import dev.nest.function.ScalingSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Which deploys make a node fetch the new live version's package ahead of its first cold start. */
class CodePrefetcherTest {
    private static final FunctionId F = FunctionId.of("default", "f");
    private static final FunctionSpec SPEC = new FunctionSpec(F, "nodejs", "", 256, Duration.ofSeconds(30), 1, Map.of(),
            ScalingSpec.DEFAULT, QueueSpec.DEFAULT);
    private static final String D1 = "sha256:" + "1".repeat(64);
    private static final String D2 = "sha256:" + "2".repeat(64);
    private static final String D3 = "sha256:" + "3".repeat(64);

    /** Versions 1.. with the given packages, each made live in turn. */
    private static FunctionRecord deployed(String... digests) {
        FunctionRecord r = FunctionRecord.empty(F, "api", Instant.EPOCH);
        for (String d : digests) {
            r = r.withNewVersion(d, SPEC, "test", Instant.EPOCH, true);
        }
        return r;
    }

    @Test
    void theDecisionTable() {
        record Case(String name, FunctionRecord record, Set<String> held, Optional<String> expected) {
        }
        List<Case> cases = List.of(
                new Case("a new version; the previous one's package is here", deployed(D1, D2), Set.of(D1), Optional.of(D2)),
                new Case("the new package is here already", deployed(D1, D2), Set.of(D1, D2), Optional.empty()),
                new Case("this node never held the previous package", deployed(D1, D2), Set.of(), Optional.empty()),
                new Case("only an older package is here", deployed(D1, D2, D3), Set.of(D1), Optional.empty()),
                new Case("the first version of a function", deployed(D1), Set.of(), Optional.empty()),
                new Case("a rollback to a package that is here", deployed(D1, D2).rolledBack(Optional.empty(), Instant.EPOCH),
                        Set.of(D1, D2), Optional.empty()),
                new Case("a rollback to a named version whose package is not here",
                        deployed(D1, D2, D3).rolledBack(Optional.of(1), Instant.EPOCH), Set.of(D3), Optional.of(D1)));
        for (Case c : cases) {
            assertEquals(c.expected(), CodePrefetcher.toPrefetch(c.record(), c.held()), c.name());
        }
    }

    @Test
    void aDeployIsFetchedInTheBackgroundAndADeletionIsIgnored() throws Exception {
        List<String> fetched = new CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        Thread listener = Thread.currentThread();
        List<Thread> fetchThreads = new CopyOnWriteArrayList<>();
        try (CodePrefetcher p = new CodePrefetcher((d, runtime) -> {
            fetchThreads.add(Thread.currentThread());
            fetched.add(d);
            done.countDown();
            return Optional.of(Path.of("/unused"));
        }, () -> Set.of(D1))) {
            p.changed(F, Optional.empty());
            p.changed(F, Optional.of(deployed(D1)));
            p.changed(F, Optional.of(deployed(D1, D2)));
            assertTrue(done.await(10, TimeUnit.SECONDS), "the prefetch ran");
        }
        assertEquals(List.of(D2), fetched);
        assertTrue(fetchThreads.stream().noneMatch(t -> t == listener), "never on the listener's thread");
    }

    @Test
    void aFailingFetchIsOnlyLogged() throws Exception {
        CountDownLatch tried = new CountDownLatch(2);
        try (CodePrefetcher p = new CodePrefetcher((d, runtime) -> {
            tried.countDown();
            if (d.equals(D2)) {
                throw new IllegalStateException("holder unreachable");
            }
            return Optional.empty();
        }, () -> Set.of(D1))) {
            p.changed(F, Optional.of(deployed(D1, D2)));
            p.changed(FunctionId.of("default", "g"), Optional.of(deployed(D1, D3)));
            assertTrue(tried.await(10, TimeUnit.SECONDS), "both were tried");
        }
    }
}
