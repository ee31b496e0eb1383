package dev.nest.plugins.kafka;

import dev.nest.async.EventState;
import dev.nest.async.EventStatus;
import dev.nest.async.NewEvent;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Optional;

/**
 * The ledger's record of one invocation (the value of its key in the compacted ledger topic): its latest state.
 *
 * @param id          invocation id
 * @param function    {@code namespace/name}
 * @param state       where it is
 * @param attempt     attempts made
 * @param enqueuedAt  when it was accepted (epoch ms)
 * @param nextTryAt   when a queued or retrying one is due (epoch ms, 0: not known)
 * @param status      the last attempt's HTTP status
 * @param durationMs  the last attempt's duration
 * @param lastError   the last attempt's error
 * @param result      the successful answer (at most 256 KiB), if any
 * @param finishedAt  when it reached a final state (epoch ms, 0: not final)
 * @param idemKey     the caller's idempotency key
 * @param request     a dead letter's request, to redrive it
 * @param updatedAt   when this entry was written (epoch ms): a node applies an entry only if it is not older than
 *                    the one it has, so reading the topic does not undo its own newer writes
 */
record LedgerEntry(String id, String function, EventState state, int attempt, long enqueuedAt, long nextTryAt,
                   int status, long durationMs, String lastError, Optional<byte[]> result, long finishedAt,
                   Optional<String> idemKey, Optional<NewEvent> request, long updatedAt) {
    private static final int VERSION = 1;

    EventStatus view() {
        return new EventStatus(id, function, state, attempt, Instant.ofEpochMilli(enqueuedAt),
                (state == EventState.QUEUED || state == EventState.RETRYING) && nextTryAt > 0
                        ? Optional.of(Instant.ofEpochMilli(nextTryAt)) : Optional.empty(),
                status, durationMs, lastError, result,
                finishedAt > 0 ? Optional.of(Instant.ofEpochMilli(finishedAt)) : Optional.empty());
    }

    byte[] encode() {
        ByteArrayOutputStream b = new ByteArrayOutputStream(128);
        try (DataOutputStream o = new DataOutputStream(b)) {
            o.writeByte(VERSION);
            Envelope.writeString(o, id);
            Envelope.writeString(o, function);
            Envelope.writeString(o, state.name());
            o.writeInt(attempt);
            o.writeLong(enqueuedAt);
            o.writeLong(nextTryAt);
            o.writeInt(status);
            o.writeLong(durationMs);
            Envelope.writeString(o, lastError);
            o.writeBoolean(result.isPresent());
            if (result.isPresent()) {
                o.writeInt(result.get().length);
                o.write(result.get());
            }
            o.writeLong(finishedAt);
            o.writeBoolean(idemKey.isPresent());
            if (idemKey.isPresent()) {
                Envelope.writeString(o, idemKey.get());
            }
            o.writeBoolean(request.isPresent());
            if (request.isPresent()) {
                Envelope.writeEvent(o, request.get());
            }
            o.writeLong(updatedAt);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return b.toByteArray();
    }

    static LedgerEntry decode(byte[] value) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(value))) {
            int v = in.readUnsignedByte();
            if (v != VERSION) {
                throw new IllegalArgumentException("unknown ledger record version " + v);
            }
            String id = Envelope.readString(in);
            String function = Envelope.readString(in);
            EventState state = EventState.valueOf(Envelope.readString(in));
            int attempt = in.readInt();
            long enqueuedAt = in.readLong();
            long nextTryAt = in.readLong();
            int status = in.readInt();
            long durationMs = in.readLong();
            String lastError = Envelope.readString(in);
            Optional<byte[]> result = in.readBoolean() ? Optional.of(in.readNBytes(in.readInt())) : Optional.empty();
            long finishedAt = in.readLong();
            Optional<String> key = in.readBoolean() ? Optional.of(Envelope.readString(in)) : Optional.empty();
            Optional<NewEvent> request = in.readBoolean() ? Optional.of(Envelope.readEvent(in)) : Optional.empty();
            return new LedgerEntry(id, function, state, attempt, enqueuedAt, nextTryAt, status, durationMs, lastError,
                    result, finishedAt, key, request, in.readLong());
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("not a ledger record: " + e.getMessage(), e);
        }
    }
}
