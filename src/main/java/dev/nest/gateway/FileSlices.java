package dev.nest.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.stream.ChunkedInput;
import java.io.IOException;
import java.nio.channels.FileChannel;

/**
 * The first {@code length} bytes of a file, read for {@link io.netty.handler.stream.ChunkedWriteHandler} in slices of
 * {@link #SLICE} bytes into the channel allocator's direct buffers (a TLS connection cannot take a file region:
 * its bytes must be encrypted). Unlike Netty's {@code ChunkedNioFile}, which answers empty slices for ever when the
 * file ends early, a file that ends before {@code length} fails the read, so the write fails and the connection
 * closes. Closes the file when done. Loop thread only.
 */
final class FileSlices implements ChunkedInput<ByteBuf> {
    /** Bytes read per slice: a 4 MiB chunk in 16 reads, each well under the TLS encoder's pending limit. */
    static final int SLICE = 256 * 1024;

    private final FileChannel file;
    private final long length;
    private long offset;

    FileSlices(FileChannel file, long length) {
        this.file = file;
        this.length = length;
    }

    @Override
    public boolean isEndOfInput() {
        return offset >= length;
    }

    @Override
    public void close() throws IOException {
        file.close();
    }

    @Deprecated
    @Override
    public ByteBuf readChunk(ChannelHandlerContext ctx) throws IOException {
        return readChunk(ctx.alloc());
    }

    @Override
    public ByteBuf readChunk(ByteBufAllocator alloc) throws IOException {
        if (offset >= length) {
            return null;
        }
        int n = (int) Math.min(SLICE, length - offset);
        ByteBuf slice = alloc.directBuffer(n);
        try {
            while (slice.writerIndex() < n) {
                if (slice.writeBytes(file, offset + slice.writerIndex(), n - slice.writerIndex()) < 0) {
                    throw new IOException("the file ended after " + (offset + slice.writerIndex()) + " of " + length
                            + " bytes");
                }
            }
        } catch (IOException | RuntimeException e) {
            slice.release();
            throw e;
        }
        offset += n;
        return slice;
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public long progress() {
        return offset;
    }

    /** Bytes not read yet. */
    long unread() {
        return length - offset;
    }
}
