package dev.nest.plugins.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nest.async.EventState;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The Kafka queue's cancel decisions: what a cancel withdraws, and which acquired records are dropped unrun. */
class KafkaCancelTest {
    @ParameterizedTest(name = "ledger {0}, leased here {1}: withdrawn {2}")
    @CsvSource({
            "QUEUED,    false, true",
            "RETRYING,  false, true",
            "QUEUED,    true,  false",   // this node's dispatcher delivers it: its stop records the cancel
            "RUNNING,   false, false",   // another node delivers it: that node is asked through the peer stop route
            "SUCCEEDED, false, false",
            "FAILED,    false, false",
            "DEAD,      false, false",
            "CANCELLED, false, false",   // cancelled already: a repeated cancel changes nothing
            ",          false, false"})  // not in the ledger
    void whatACancelWithdraws(EventState state, boolean leasedHere, boolean withdrawn) {
        assertEquals(withdrawn, KafkaEventQueue.withdrawable(Optional.ofNullable(state), leasedHere));
    }

    @ParameterizedTest(name = "ledger {0}: dropped {1}")
    @CsvSource({"CANCELLED, true", "QUEUED, false", "RETRYING, false", "RUNNING, false", ", false"})
    void anAcquiredRecordOfACancelledEventIsDropped(EventState state, boolean dropped) {
        assertEquals(dropped, KafkaEventQueue.dropOnLease(Optional.ofNullable(state)));
    }
}
