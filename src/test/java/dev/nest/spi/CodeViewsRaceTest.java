package dev.nest.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Many loads of one code version into one pod (a merged pod) build its view once, and none of them fails. */
class CodeViewsRaceTest {
    @TempDir
    Path dir;

    @Test
    void concurrentRequestsForOneViewAllGetTheSameCompleteView() throws Exception {
        Path code = Files.createDirectories(dir.resolve("artifacts/sha-1"));
        for (int k = 0; k < 20; k++) {
            Files.writeString(code.resolve("f" + k + ".js"), "exports.k = " + k + ";\n");
        }
        Path views = Files.createDirectories(dir.resolve("pod/code"));
        int threads = 16;
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Path>> got = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int t = 0; t < threads; t++) {
                got.add(pool.submit(() -> {
                    go.await();
                    return CodeViews.view(views, code, "sha-1");
                }));
            }
            go.countDown();
            for (Future<Path> f : got) {
                assertEquals(views.resolve("sha-1"), f.get());
            }
        }
        try (Stream<Path> left = Files.list(views)) {
            assertEquals(List.of(views.resolve("sha-1")), left.toList(), "no half-built view is left");
        }
        try (Stream<Path> files = Files.list(views.resolve("sha-1"))) {
            assertEquals(20, files.count());
        }
        assertTrue(Files.isRegularFile(views.resolve("sha-1/f7.js")));
    }
}
