package dev.nest.it.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nest.it.AsyncDurabilityRun;
import dev.nest.it.AsyncNodeProcess;
import dev.nest.it.Engines;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Durability of async invocations on the Kafka queue: three Nest nodes (each its own process, process driver) share
 * one events topic and share group on three brokers ({@code distribution/kafka.sh start --brokers 3}).
 * {@code nest.it.kafka.invocations} (default 1,000) async invocations of a function that appends its invocation
 * id to a file are sent round-robin to the nodes from 6 client threads; during the run one Nest node is killed
 * ({@code kill -9}, not restarted: the other nodes get its events when their Kafka locks end) and one broker is
 * killed (restarted at the end). Every id that got a 202 must have run at least once; duplicates are printed.
 *
 * <p>The nodes are three regions (each with its embedded ZooKeeper) with the same function: the queue, not the
 * cluster, is under test. Seed: {@code nest.it.kafka.seed}.
 */
class KafkaDurabilityIT {
    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedInvocationRunsAtLeastOnceWhenANodeAndABrokerDie() throws Exception {
        Engines.requireNode();
        KafkaBrokers.require(3);
        int n = Integer.getInteger("nest.it.kafka.invocations", 1_000);
        long seed = Long.getLong("nest.it.kafka.seed", System.nanoTime());
        Random random = new Random(seed);
        String topic = "nest-durability-" + Long.toHexString(seed & 0xffffffffL);
        List<AsyncNodeProcess> nodes = new ArrayList<>();
        boolean brokerKilled = false;
        try {
            Path file = null;
            for (int i = 1; i <= 3; i++) {
                AsyncNodeProcess node = AsyncNodeProcess.create(dir.resolve("node-" + i), "kafka-node-" + i,
                        KafkaBrokers.nestYaml(topic));
                if (i == 1) {
                    file = AsyncDurabilityRun.writeAppendingFunction(dir, node.functionsDir(), AsyncDurabilityRun.FUNCTION);
                } else {
                    copyTree(nodes.getFirst().functionsDir(), node.functionsDir());
                }
                nodes.add(node);
            }
            for (AsyncNodeProcess node : nodes) {
                node.launch();
                AsyncDurabilityRun.warmUp(AsyncDurabilityRun.client(), node.base(), AsyncDurabilityRun.FUNCTION,
                        Duration.ofSeconds(90));
            }
            int killNodeAt = n / 4 + random.nextInt(n / 4);
            int killBrokerAt = n / 2 + random.nextInt(n / 4);
            System.out.println("kafka durability: " + n + " invocations, seed " + seed + ", node 2 dies after about "
                    + killNodeAt + " requests, broker 2 after about " + killBrokerAt);

            Set<String> acked = ConcurrentHashMap.newKeySet();
            AtomicInteger next = new AtomicInteger();
            AtomicInteger retried = new AtomicInteger();
            List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
            Set<Integer> down = ConcurrentHashMap.newKeySet();
            long sendDeadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
            List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < 6; c++) {
                int client = c;
                clients.add(Thread.ofPlatform().name("kafka-client-" + c).start(() -> {
                    HttpClient http = AsyncDurabilityRun.client();
                    int i;
                    int tries = 0;
                    while ((i = next.getAndIncrement()) < n) {
                        while (System.nanoTime() < sendDeadline) {
                            int target = (i + client + tries) % 3;
                            if (down.contains(target)) {
                                tries++;
                                continue;
                            }
                            long start = System.nanoTime();
                            try {
                                Optional<String> id = AsyncDurabilityRun.sendAsync(http, nodes.get(target).base(),
                                        AsyncDurabilityRun.FUNCTION, "{\"n\":" + i + "}");
                                if (id.isPresent()) {
                                    acked.add(id.get());
                                    latencies.add((System.nanoTime() - start) / 1e6);
                                    break;
                                }
                            } catch (IOException e) {
                                // that node is down: try the next
                            } catch (InterruptedException e) {
                                return;
                            }
                            tries++;
                            retried.incrementAndGet();
                            sleep(50);
                        }
                    }
                }));
            }
            while (next.get() < killNodeAt && clients.stream().anyMatch(Thread::isAlive)) {
                Thread.sleep(5);
            }
            down.add(1);
            nodes.get(1).kill();
            System.out.println("kafka durability: kill -9 of node 2 after " + acked.size() + " acknowledged");
            while (next.get() < killBrokerAt && clients.stream().anyMatch(Thread::isAlive)) {
                Thread.sleep(5);
            }
            KafkaBrokers.kill(2);
            brokerKilled = true;
            System.out.println("kafka durability: kill -9 of broker 2 after " + acked.size() + " acknowledged");
            for (Thread t : clients) {
                t.join();
            }
            System.out.println("kafka durability: " + acked.size() + " acknowledged (" + retried.get()
                    + " requests sent again); waiting for every one to run");

            long deadline = System.nanoTime() + Duration.ofSeconds(150).toNanos();
            Map<String, List<Long>> runs = AsyncDurabilityRun.runs(file);
            while (System.nanoTime() < deadline && !runs.keySet().containsAll(acked)) {
                Thread.sleep(500);
                runs = AsyncDurabilityRun.runs(file);
            }
            Thread.sleep(2_000); // late repeats still count as duplicates
            runs = AsyncDurabilityRun.runs(file);
            int executed = 0;
            int duplicates = 0;
            List<String> lost = new ArrayList<>();
            for (String id : acked) {
                List<Long> r = runs.get(id);
                if (r == null) {
                    lost.add(id);
                } else {
                    executed++;
                    duplicates += r.size() - 1;
                }
            }
            List<Double> sorted = latencies.stream().sorted().toList();
            System.out.printf("KafkaDurabilityIT (seed %d): acknowledged=%d executed=%d duplicates=%d lost=%d"
                            + " retried=%d 202 p50=%.1f ms p99=%.1f ms%n", seed, acked.size(), executed, duplicates,
                    lost.size(), retried.get(), percentile(sorted, 0.5), percentile(sorted, 0.99));
            if (!lost.isEmpty()) {
                for (AsyncNodeProcess node : nodes) {
                    System.out.println(node.logTail());
                }
            }
            assertEquals(n, acked.size(), "every request is retried on another node until acknowledged");
            assertEquals(List.of(), lost.stream().sorted().limit(20).toList(), "acknowledged but never run");
        } finally {
            nodes.forEach(AsyncNodeProcess::close);
            if (brokerKilled) {
                KafkaBrokers.restart(2);
            }
        }
    }

    private static double percentile(List<Double> sorted, double p) {
        return sorted.isEmpty() ? 0 : sorted.get(Math.min(sorted.size() - 1, (int) Math.floor(p * sorted.size())));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void copyTree(Path from, Path to) {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : all.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
