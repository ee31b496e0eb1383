package dev.nest.async;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class H2BacklogTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    @TempDir
    Path dir;

    /** The one place this test builds events. */
    private static NewEvent event(String id, String fn, Instant at) {
        return new NewEvent(id, fn, "POST", "/x", "", List.of(), ("body " + id).getBytes(StandardCharsets.UTF_8),
                Optional.empty(), at);
    }

    @Test
    void countsUnfinishedEventsPerFunctionAndNamespace() {
        String url = "jdbc:h2:file:" + dir.resolve("nest") + ";DB_CLOSE_ON_EXIT=FALSE";
        try (H2EventQueue queue = H2EventQueue.open(url, java.time.Clock.fixed(T0, java.time.ZoneOffset.UTC));
             H2Backlog backlog = H2Backlog.open(url).orElseThrow()) {
            queue.enqueue(event("e1", "shop/a", T0)).join();
            queue.enqueue(event("e2", "shop/a", T0.plusSeconds(5))).join();
            queue.enqueue(event("e3", "shop/b", T0.minusSeconds(30))).join();
            queue.enqueue(event("e4", "shop_x/a", T0.minusSeconds(60))).join();
            queue.succeeded("e1", 1, new Result(200, 1, new byte[0], ""));

            assertEquals(Optional.of(new H2Backlog.Backlog(1, Optional.of(T0.plusSeconds(5)))), backlog.of("shop/a", false));
            assertEquals(Optional.of(new H2Backlog.Backlog(2, Optional.of(T0.minusSeconds(30)))), backlog.of("shop", true));
            assertEquals(Optional.of(new H2Backlog.Backlog(0, Optional.empty())), backlog.of("none/a", false));
            assertEquals(Optional.of(new H2Backlog.Backlog(0, Optional.empty())), backlog.of("shop_", true),
                    "a namespace is not a pattern");
        }
    }

    @Test
    void aDatabaseWithoutTheQueuesTableAnswersEmpty() {
        try (H2Backlog backlog = H2Backlog.open("jdbc:h2:mem:no-queue-" + System.nanoTime()).orElseThrow()) {
            assertEquals(Optional.empty(), backlog.of("shop/a", false));
        }
    }
}
