package dev.nest.trigger.cron;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;

/**
 * What a cron trigger stores in ZooKeeper (a small JSON document, written only by the leader, compare-and-set):
 * the last claimed tick (fired or not), the last fired tick, the invocation id that tick got, and counts.
 *
 * @param lastClaimed the latest tick decided on: no tick at or before it fires again
 * @param lastFired   the latest tick that fired
 * @param firedAt     when it was handed to the queue
 * @param invocation  its invocation id (once enqueued)
 * @param missed      ticks missed in all (not fired: misfire skip, past the deadline, forbidden by concurrency)
 */
record CronState(Instant lastClaimed, Optional<Instant> lastFired, Optional<Instant> firedAt,
                 Optional<String> invocation, long missed) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A new trigger's state: nothing before {@code since} fires. */
    static CronState startingAt(Instant since) {
        return new CronState(since, Optional.empty(), Optional.empty(), Optional.empty(), 0);
    }

    static CronState read(byte[] data) {
        try {
            JsonNode n = JSON.readTree(data);
            return new CronState(Instant.ofEpochMilli(n.path("lastClaimed").asLong()), millis(n, "lastFired"),
                    millis(n, "firedAt"), Optional.ofNullable(n.get("invocation")).map(JsonNode::asText),
                    n.path("missed").asLong());
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("stored cron state is not readable: " + e.getMessage(), e);
        }
    }

    private static Optional<Instant> millis(JsonNode n, String key) {
        return Optional.ofNullable(n.get(key)).filter(JsonNode::isNumber).map(v -> Instant.ofEpochMilli(v.asLong()));
    }

    byte[] write() {
        ObjectNode n = JSON.createObjectNode();
        n.put("lastClaimed", lastClaimed.toEpochMilli());
        lastFired.ifPresent(t -> n.put("lastFired", t.toEpochMilli()));
        firedAt.ifPresent(t -> n.put("firedAt", t.toEpochMilli()));
        invocation.ifPresent(i -> n.put("invocation", i));
        n.put("missed", missed);
        return n.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** After a round that claimed {@code tick}. */
    CronState claimed(Instant tick, boolean fired, Instant now, int missedNow) {
        return new CronState(tick, fired ? Optional.of(tick) : lastFired, fired ? Optional.of(now) : firedAt,
                fired ? Optional.empty() : invocation, missed + missedNow);
    }

    CronState withInvocation(String id) {
        return new CronState(lastClaimed, lastFired, firedAt, Optional.of(id), missed);
    }
}
