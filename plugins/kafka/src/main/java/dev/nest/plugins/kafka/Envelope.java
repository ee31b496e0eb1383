package dev.nest.plugins.kafka;

import dev.nest.async.NewEvent;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One record of the events topic: the invocation as enqueued and where its delivery stands. A retry is a new
 * record (with the next attempt and its due time); the one it replaces is acknowledged.
 *
 * @param event      the invocation
 * @param attempt    attempts already made (that counted)
 * @param rejections admission refusals so far
 * @param notBefore  when it is due (epoch ms); a consumer holds an early record or sends it round again
 */
record Envelope(NewEvent event, int attempt, int rejections, long notBefore) {
    private static final int VERSION = 1;

    byte[] encode() {
        ByteArrayOutputStream b = new ByteArrayOutputStream(256 + event.body().length);
        try (DataOutputStream o = new DataOutputStream(b)) {
            o.writeByte(VERSION);
            writeEvent(o, event);
            o.writeInt(attempt);
            o.writeInt(rejections);
            o.writeLong(notBefore);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return b.toByteArray();
    }

    /** Decodes a record's value; {@link IllegalArgumentException} when it is not an envelope of this version. */
    static Envelope decode(byte[] value) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(value))) {
            int v = in.readUnsignedByte();
            if (v != VERSION) {
                throw new IllegalArgumentException("unknown event record version " + v);
            }
            NewEvent e = readEvent(in);
            return new Envelope(e, in.readInt(), in.readInt(), in.readLong());
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("not an event record: " + e.getMessage(), e);
        }
    }

    static void writeEvent(DataOutputStream o, NewEvent e) throws IOException {
        writeString(o, e.id());
        writeString(o, e.function());
        writeString(o, e.method());
        writeString(o, e.path());
        writeString(o, e.query());
        o.writeInt(e.headers().size());
        for (String h : e.headers()) {
            writeString(o, h);
        }
        o.writeInt(e.body().length);
        o.write(e.body());
        o.writeBoolean(e.idempotencyKey().isPresent());
        if (e.idempotencyKey().isPresent()) {
            writeString(o, e.idempotencyKey().get());
        }
        o.writeLong(e.enqueuedAt().toEpochMilli());
    }

    static NewEvent readEvent(DataInputStream in) throws IOException {
        String id = readString(in);
        String function = readString(in);
        String method = readString(in);
        String path = readString(in);
        String query = readString(in);
        int n = in.readInt();
        if (n < 0 || n > 100_000) {
            throw new IOException("bad header count " + n);
        }
        List<String> headers = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            headers.add(readString(in));
        }
        byte[] body = in.readNBytes(in.readInt());
        Optional<String> key = in.readBoolean() ? Optional.of(readString(in)) : Optional.empty();
        return new NewEvent(id, function, method, path, query, headers, body, key, Instant.ofEpochMilli(in.readLong()));
    }

    static void writeString(DataOutputStream o, String s) throws IOException {
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        o.writeInt(b.length);
        o.write(b);
    }

    static String readString(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > 64 * 1024 * 1024) {
            throw new IOException("bad string length " + n);
        }
        byte[] b = in.readNBytes(n);
        if (b.length != n) {
            throw new IOException("truncated");
        }
        return new String(b, java.nio.charset.StandardCharsets.UTF_8);
    }
}
