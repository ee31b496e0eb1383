package dev.nest.artifact;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import java.nio.ByteBuffer;
import java.util.Locale;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;

/**
 * How a chunk of a package is compressed (a manifest names one for the package and, since "nest-chunks/2", may name
 * another per chunk: see {@link ChunkManifest}). Decompression always writes into a buffer of exactly the size the
 * manifest declares (at most {@link ChunkManifest#MAX_CHUNK_BYTES}), so a chunk cannot expand beyond it; a stored
 * chunk must be exactly that size.
 */
public enum Codec {
    /** zstd level 3 (zstd-jni): about 3x on code, decompresses at 1+ GB/s per core. */
    ZSTD,
    /** lz4 fast (lz4-java): a lower ratio, the cheapest to compress and decompress. */
    LZ4,
    /**
     * Not compressed: the chunk's bytes are its records. For incompressible chunks (compressed media, jars of deflated
     * classes), where compression saves nothing on the wire and decompression would be one more copy.
     */
    STORED;

    /** Packages below this size are stored with lz4 unless the uploader asks otherwise; larger ones with zstd. */
    public static final long LZ4_BELOW_BYTES = 1L << 20;

    private static final LZ4Factory LZ4_FACTORY = LZ4Factory.fastestInstance();

    /** The default for a package of {@code bytes} unpacked bytes: lz4 below 1 MiB (one chunk, where the ratio
     * hardly matters and latency is all fixed cost), zstd above (a better ratio on the wire, still fast). */
    public static Codec forSize(long bytes) {
        return bytes < LZ4_BELOW_BYTES ? LZ4 : ZSTD;
    }

    /** {@code zstd}, {@code lz4} or {@code stored}; a 400 naming the allowed values otherwise. */
    public static Codec parse(String name) {
        return parse(name, "codec");
    }

    /** {@link #parse(String)}, naming {@code key} (a manifest's key, say) in the error. */
    static Codec parse(String name, String key) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "zstd" -> ZSTD;
            case "lz4" -> LZ4;
            case "stored" -> STORED;
            default -> throw new ArtifactException(400, key + " '" + name + "' is not known; allowed: zstd, lz4, stored");
        };
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    byte[] compress(byte[] raw, int length) {
        return switch (this) {
            case ZSTD -> {
                byte[] dst = new byte[(int) Zstd.compressBound(length)];
                long n = Zstd.compressByteArray(dst, 0, dst.length, raw, 0, length, 3);
                yield java.util.Arrays.copyOf(dst, (int) n);
            }
            case LZ4 -> {
                var c = LZ4_FACTORY.fastCompressor();
                byte[] dst = new byte[c.maxCompressedLength(length)];
                int n = c.compress(raw, 0, length, dst, 0, dst.length);
                yield java.util.Arrays.copyOf(dst, n);
            }
            case STORED -> java.util.Arrays.copyOf(raw, length);
        };
    }

    /** Decompresses {@code src} into exactly {@code rawSize} bytes; {@code what} names the chunk in errors. */
    byte[] decompress(byte[] src, int rawSize, String what) {
        return decompress(src, new byte[rawSize], rawSize, what);
    }

    /**
     * Decompresses {@code src} into the first {@code rawSize} bytes of {@code dst} (a reused buffer, at least that
     * long) and returns {@code dst}; a chunk that expands beyond {@code rawSize} fails, whatever room {@code dst} has.
     */
    byte[] decompress(byte[] src, byte[] dst, int rawSize, String what) {
        if (dst.length < rawSize) {
            throw new IllegalArgumentException("buffer of " + dst.length + " bytes for " + rawSize);
        }
        try {
            long n = switch (this) {
                case ZSTD -> Zstd.decompressByteArray(dst, 0, rawSize, src, 0, src.length);
                case LZ4 -> LZ4_FACTORY.safeDecompressor().decompress(src, 0, src.length, dst, 0, rawSize);
                case STORED -> {
                    checkStored(src, rawSize, what);
                    System.arraycopy(src, 0, dst, 0, rawSize);
                    yield rawSize;
                }
            };
            if (n != rawSize) {
                throw new ArtifactException(400, what + " decompresses to " + n + " bytes, not the " + rawSize
                        + " its manifest declares");
            }
            return dst;
        } catch (ZstdException | LZ4Exception e) {
            // the output buffer is exactly the declared size: a chunk that expands beyond it stops here, at once
            throw new ArtifactException(400, what + " does not decompress to the " + rawSize + " bytes its manifest "
                    + "declares: it expands beyond them or is not valid " + id() + " data (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Decompresses {@code src} into {@code dst} (a reused direct buffer of at least {@code rawSize} bytes, so that the
     * file writes need no copy into the JDK's temporary direct buffer) and returns the {@code rawSize} bytes to write:
     * a view of {@code dst}, or of {@code src} itself for a stored chunk (no copy at all). Fails as
     * {@link #decompress(byte[], byte[], int, String)} does; a chunk never writes beyond {@code rawSize} bytes of
     * {@code dst}. A stored chunk needs no {@code dst} (it may be null).
     */
    ByteBuffer decompress(byte[] src, ByteBuffer dst, int rawSize, String what) {
        if (this == STORED) {
            checkStored(src, rawSize, what);
            return ByteBuffer.wrap(src, 0, rawSize).slice();
        }
        if (dst == null || dst.capacity() < rawSize || !dst.isDirect()) {
            throw new IllegalArgumentException("a direct buffer of at least " + rawSize + " bytes is needed, not " + dst);
        }
        ByteBuffer out = dst.clear().limit(rawSize).slice();
        try {
            long n = switch (this) {
                case ZSTD -> {
                    try (ZstdDecompressCtx ctx = new ZstdDecompressCtx()) {
                        yield ctx.decompressByteArrayToDirectByteBuffer(out, 0, rawSize, src, 0, src.length);
                    }
                }
                case LZ4 -> LZ4_FACTORY.safeDecompressor().decompress(ByteBuffer.wrap(src), 0, src.length, out, 0, rawSize);
                case STORED -> throw new IllegalStateException("unreachable");
            };
            if (n != rawSize) {
                throw new ArtifactException(400, what + " decompresses to " + n + " bytes, not the " + rawSize
                        + " its manifest declares");
            }
            return out;
        } catch (ZstdException | LZ4Exception e) {
            throw new ArtifactException(400, what + " does not decompress to the " + rawSize + " bytes its manifest "
                    + "declares: it expands beyond them or is not valid " + id() + " data (" + e.getMessage() + ")", e);
        }
    }

    private static void checkStored(byte[] src, int rawSize, String what) {
        if (src.length != rawSize) {
            throw new ArtifactException(400, what + " is stored uncompressed with " + src.length + " bytes, not the "
                    + rawSize + " its manifest declares");
        }
    }
}
