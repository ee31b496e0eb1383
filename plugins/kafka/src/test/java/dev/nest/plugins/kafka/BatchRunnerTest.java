package dev.nest.plugins.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.nest.plugins.kafka.TriggerBatches.Outcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.LongStream;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BatchRunnerTest {
    /** A function that fails any batch holding a poison offset; it records what it was given. */
    static final class FakeFunction implements BatchRunner.Deliver {
        final Set<Long> poison;
        final List<List<Long>> calls = new ArrayList<>();
        final Set<Long> succeeded = new HashSet<>();
        boolean itemFailures;
        int busyAnswers;

        FakeFunction(Long... poison) {
            this.poison = Set.of(poison);
        }

        @Override
        public Outcome deliver(List<TriggerRecord> batch) {
            calls.add(batch.stream().map(TriggerRecord::offset).toList());
            if (busyAnswers > 0) {
                busyAnswers--;
                return new Outcome.Transient("busy");
            }
            List<TriggerRecord> bad = batch.stream().filter(r -> poison.contains(r.offset())).toList();
            if (bad.isEmpty()) {
                batch.forEach(r -> succeeded.add(r.offset()));
                return new Outcome.Ok();
            }
            if (itemFailures) {
                batch.stream().filter(r -> !poison.contains(r.offset())).forEach(r -> succeeded.add(r.offset()));
                return new Outcome.ItemFailures(bad);
            }
            return new Outcome.Failed("the function answered 500");
        }
    }

    static final class FakeDeadLetters implements BatchRunner.DeadLetters {
        final boolean configured;
        final List<String> sent = new ArrayList<>();
        int failSends;

        FakeDeadLetters(boolean configured) {
            this.configured = configured;
        }

        @Override
        public boolean configured() {
            return configured;
        }

        @Override
        public void send(TriggerRecord record, String error, int attempts) throws Exception {
            if (failSends > 0) {
                failSends--;
                throw new IllegalStateException("broker down");
            }
            sent.add(record.offset() + ":" + attempts + ":" + error);
        }
    }

    static List<TriggerRecord> batch(int n) {
        return LongStream.range(0, n).mapToObj(o -> TriggerBatchesTest.rec(0, o, "v" + o)).toList();
    }

    private final List<Duration> waits = new ArrayList<>();

    private BatchRunner runner(FakeFunction f, FakeDeadLetters d, int retries) {
        return new BatchRunner(f, d, waits::add, retries, "test");
    }

    @Test
    void aPoisonRecordIsFoundByBisectionRetriedThenDeadLetteredAndTheRestSucceed() throws Exception {
        FakeFunction f = new FakeFunction(5L);
        FakeDeadLetters d = new FakeDeadLetters(true);
        runner(f, d, 2).run(batch(8));
        assertEquals(List.of("5:3:the function answered 500"), d.sent);
        assertEquals(Set.of(0L, 1L, 2L, 3L, 4L, 6L, 7L), f.succeeded);
        assertEquals(List.of(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L), List.of(0L, 1L, 2L, 3L), List.of(4L, 5L, 6L, 7L),
                List.of(4L, 5L), List.of(4L), List.of(5L), List.of(5L), List.of(5L), List.of(6L, 7L)), f.calls);
        assertEquals(List.of(Duration.ofSeconds(1), Duration.ofSeconds(2)), waits);
    }

    @Test
    void reportedItemFailuresAreRetriedAloneWithoutRunningTheOthersAgain() throws Exception {
        FakeFunction f = new FakeFunction(2L, 6L);
        f.itemFailures = true;
        FakeDeadLetters d = new FakeDeadLetters(true);
        runner(f, d, 1).run(batch(8));
        assertEquals(List.of(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L), List.of(2L, 6L), List.of(2L), List.of(2L),
                List.of(6L), List.of(6L)), f.calls);
        assertEquals(List.of("2:2:the function reported the record failed", "6:2:the function reported the record failed"),
                d.sent);
    }

    @Test
    void withoutADeadLetterTopicTheRecordIsSkippedAndCounted() throws Exception {
        FakeFunction f = new FakeFunction(0L);
        BatchRunner r = runner(f, new FakeDeadLetters(false), 0);
        r.run(batch(2));
        assertEquals(1, r.skipped.get());
        assertEquals(Set.of(1L), f.succeeded);
    }

    @Test
    void busyAnswersAndFailedDeadLetterSendsAreRetriedWithoutLosingAnything() throws Exception {
        FakeFunction f = new FakeFunction(1L);
        f.busyAnswers = 3;
        FakeDeadLetters d = new FakeDeadLetters(true);
        d.failSends = 2;
        BatchRunner r = runner(f, d, 0);
        r.run(batch(2));
        assertEquals(List.of("1:1:the function answered 500"), d.sent);
        assertEquals(Set.of(0L), f.succeeded);
        assertEquals(1, r.deadLettered.get());
        assertEquals(List.of(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofSeconds(1),
                Duration.ofSeconds(2)), waits);
    }

    @Test
    void anInterruptedRunThrowsSoNothingIsCommitted() {
        FakeFunction f = new FakeFunction();
        Thread.currentThread().interrupt();
        assertThrows(InterruptedException.class, () -> runner(f, new FakeDeadLetters(true), 0).run(batch(3)));
        assertEquals(List.of(), f.calls);
    }

    @ParameterizedTest
    @CsvSource({"1,1", "2,2", "3,4", "5,16", "6,30", "60,30"})
    void backoffDoublesUpTo30s(int n, int seconds) {
        assertEquals(Duration.ofSeconds(seconds), BatchRunner.backoff(n));
    }

    @Test
    void commitsAreTheNextOffsetPerOwnedPartitionNotRevokedMeanwhile() {
        List<TriggerRecord> b = List.of(TriggerBatchesTest.rec(0, 4, "a"), TriggerBatchesTest.rec(0, 9, "b"),
                TriggerBatchesTest.rec(1, 3, "c"), TriggerBatchesTest.rec(2, 1, "d"));
        TopicPartition p0 = new TopicPartition("orders", 0);
        TopicPartition p1 = new TopicPartition("orders", 1);
        TopicPartition p2 = new TopicPartition("orders", 2);
        assertEquals(Map.of(p0, new OffsetAndMetadata(10)),
                KafkaTriggerSource.commitsFor(b, Set.of(p0, p1), Set.of(p1)));
        assertEquals(Map.of(p0, new OffsetAndMetadata(10), p1, new OffsetAndMetadata(4), p2, new OffsetAndMetadata(2)),
                KafkaTriggerSource.commitsFor(b, Set.of(p0, p1, p2), Set.of()));
    }

    @Test
    void deadLettersNameTheErrorAndTheOrigin() {
        List<String> names = KafkaTriggerSource.deadLetterHeaders(TriggerBatchesTest.rec(3, 42, "x"), "boom", 3,
                "default/billing", "orders-in").stream().map(h -> h[0] + "=" + h[1]).toList();
        assertEquals(List.of("nest-error=boom", "nest-attempts=3", "nest-origin-topic=orders", "nest-origin-partition=3",
                "nest-origin-offset=42", "nest-origin-timestamp=1042", "nest-function=default/billing",
                "nest-trigger=orders-in"), names);
    }
}
