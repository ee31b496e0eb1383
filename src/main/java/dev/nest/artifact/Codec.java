package dev.nest.artifact;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdException;
import java.util.Locale;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;

/**
 * How each chunk of a package is compressed. Decompression always writes into a buffer of exactly the size the
 * manifest declares (at most {@link ChunkManifest#MAX_CHUNK_BYTES}), so a chunk cannot expand beyond it.
 */
public enum Codec {
    /** zstd level 3 (zstd-jni): about 3x on code, decompresses at 1+ GB/s per core. */
    ZSTD,
    /** lz4 fast (lz4-java): a lower ratio, the cheapest to compress and decompress. */
    LZ4;

    /** Packages below this size are stored with lz4 unless the uploader asks otherwise; larger ones with zstd. */
    public static final long LZ4_BELOW_BYTES = 1L << 20;

    private static final LZ4Factory LZ4_FACTORY = LZ4Factory.fastestInstance();

    /** The default for a package of {@code bytes} unpacked bytes: lz4 below 1 MiB (one chunk, where the ratio
     * hardly matters and latency is all fixed cost), zstd above (a better ratio on the wire, still fast). */
    public static Codec forSize(long bytes) {
        return bytes < LZ4_BELOW_BYTES ? LZ4 : ZSTD;
    }

    /** {@code zstd} or {@code lz4}; a 400 naming the allowed values otherwise. */
    public static Codec parse(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "zstd" -> ZSTD;
            case "lz4" -> LZ4;
            default -> throw new ArtifactException(400, "codec '" + name + "' is not known; allowed: zstd, lz4");
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
}
