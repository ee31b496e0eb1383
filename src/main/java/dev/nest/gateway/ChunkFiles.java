package dev.nest.gateway;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.Optional;

/**
 * Where the gateway finds the code chunks this node stores, to serve {@code GET|HEAD /api/v1/artifacts/chunks/{sha256}}
 * to other nodes itself (see {@link Gateway#chunkFiles}). Called on a gateway loop thread: opening a file is all it
 * may do.
 */
@FunctionalInterface
public interface ChunkFiles {
    /** A chunk's file, open for reading, and its length when it was opened (the length the answer announces). */
    record Opened(FileChannel channel, long length) {
        /** {@code channel} with its length now; closes it when the length cannot be read. */
        public static Opened of(FileChannel channel) throws IOException {
            try {
                return new Opened(channel, channel.size());
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
        }
    }

    /**
     * The stored chunk {@code sha256} (always 64 lowercase hex digits: checked before the call), open; empty when this
     * node does not store it as a regular file.
     *
     * @throws IOException when it is there but cannot be opened (the admin server then answers)
     */
    Optional<Opened> open(String sha256) throws IOException;
}
