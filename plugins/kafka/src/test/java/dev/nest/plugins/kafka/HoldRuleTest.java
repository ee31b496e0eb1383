package dev.nest.plugins.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HoldRuleTest {
    @ParameterizedTest(name = "now {0}, due {1}, delivery {2}: {3}")
    @CsvSource({
            "1000, 1000, 1, READY",          // due now
            "1000,  500, 1, READY",          // overdue
            "1000, 1001, 1, KEEP",           // a retry's backoff: held
            "1000,  500, 3, READY",          // redelivered, still under the limit
            "1000,  500, 4, SEND_ROUND",     // one more would near the group's limit: a fresh record
            "1000, 9000, 4, SEND_ROUND"})
    void aRecordJustAcquired(long now, long notBefore, int deliveries, HoldRule.Action expected) {
        assertEquals(expected, HoldRule.received(now, notBefore, deliveries));
    }

    // received at 0, lock until 30,000 (so the margin starts at 25,000)
    @ParameterizedTest(name = "{0} at {1}, due {2}: {3}")
    @CsvSource({
            "WAITING,  1000,  2000, KEEP",        // not due, within the hold
            "WAITING,  2000,  2000, READY",       // became due
            "WAITING,  5000, 60000, SEND_ROUND",  // held 5 s and still not due: sent round
            "WAITING,  4999, 60000, KEEP",
            "WAITING, 25000, 25000, SEND_ROUND",  // due, but too close to the lock's end to be delivered
            "READY,   24999,     0, KEEP",        // waits for a lease (its function at its cap)
            "READY,   25000,     0, SEND_ROUND",  // nobody leased it in time
            "LEASED,  29999,     0, KEEP",        // a delivery under way
            "LEASED,  30000,     0, RELEASE",     // it outlasted the lock: Kafka gives it to another
            "DONE,    99999,     0, KEEP"})
    void aRecordHeld(Held.State state, long now, long notBefore, HoldRule.Action expected) {
        assertEquals(expected, HoldRule.held(state, now, 0, 30_000, notBefore));
    }
}
