package dev.nest.plugins.kafka;

import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * A record a share consumer has acquired and not yet acknowledged: waiting to be due ({@code WAITING}), ready to
 * lease ({@code READY}), leased to the dispatcher ({@code LEASED}) or settled ({@code DONE}: an acknowledgement is
 * queued for its consumer). Transitions are compare-and-set, so a record is leased or sent round at most once.
 */
final class Held {
    enum State { WAITING, READY, LEASED, DONE }

    final ShareWorker worker;
    final ConsumerRecord<byte[], byte[]> record;
    final Envelope envelope;
    final long receivedAt;
    final long lockEnds;
    final AtomicReference<State> state;

    Held(ShareWorker worker, ConsumerRecord<byte[], byte[]> record, Envelope envelope, long receivedAt, long lockEnds,
         State initial) {
        this.worker = worker;
        this.record = record;
        this.envelope = envelope;
        this.receivedAt = receivedAt;
        this.lockEnds = lockEnds;
        this.state = new AtomicReference<>(initial);
    }

    boolean move(State from, State to) {
        return state.compareAndSet(from, to);
    }

    String id() {
        return envelope.event().id();
    }
}
