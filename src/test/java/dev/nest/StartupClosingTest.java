package dev.nest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.common.NestException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Start-up steps that run beside others ({@link Startup#closing}): what a step made is closed with the node whether
 * or not the start got as far as joining it, and a failed step's failure is the start's.
 */
class StartupClosingTest {
    private final List<String> closed = new ArrayList<>();
    private final Deque<AutoCloseable> closers = new ArrayDeque<>();

    private AutoCloseable resource(String name) {
        return () -> closed.add(name);
    }

    @Test
    void aStepThatWasNeverJoinedIsClosedWhenTheStartFailsLater() {
        Startup.closing(closers, CompletableFuture.completedFuture(resource("namespaces")));
        Startup.closeAll(closers);
        assertEquals(List.of("namespaces"), closed);
    }

    @Test
    void aJoinedStepIsClosedOnceInTheOrderItWasStarted() {
        closers.push(resource("cluster"));
        Future<AutoCloseable> step = Startup.closing(closers, CompletableFuture.completedFuture(resource("alerts")));
        closers.push(resource("tokens"));
        assertSame(step.resultNow(), Startup.join(step));
        Startup.closeAll(closers);
        assertEquals(List.of("tokens", "alerts", "cluster"), closed);
    }

    @Test
    void aFailedStepHasNothingToCloseAndItsFailureIsTheStarts() {
        Future<AutoCloseable> step = Startup.closing(closers,
                CompletableFuture.failedFuture(new IllegalStateException("the alert tree did not load within 5000 ms")));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Startup.join(step));
        assertTrue(e.getMessage().contains("alert tree"), e.getMessage());
        Startup.closeAll(closers);
        assertTrue(closed.isEmpty());
        assertTrue(closers.isEmpty());
    }

    @Test
    void aCheckedFailureBecomesACannotStart() {
        Future<AutoCloseable> step = Startup.closing(closers, CompletableFuture.failedFuture(new java.io.IOException("disk full")));
        NestException e = assertThrows(NestException.class, () -> Startup.join(step));
        assertTrue(e.getMessage().contains("disk full") || String.valueOf(e.getCause()).contains("disk full"), e.toString());
        Startup.closeAll(closers);
        assertTrue(closed.isEmpty());
    }
}
