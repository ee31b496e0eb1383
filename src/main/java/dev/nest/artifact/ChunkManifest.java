package dev.nest.artifact;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.common.Json;
import java.util.ArrayList;
import java.util.List;

/**
 * The manifest of a chunked package: its content digest (the same definition as for a zip upload: sha256 over
 * the sorted (path, file sha256) list), the codec, and its chunks in order. JSON form:
 * <pre>{"format": "nest-chunks/1", "digest": "sha256:...", "codec": "zstd", "files": 12, "bytes": 4096,
 *  "chunks": [{"sha256": "&lt;hex of the compressed bytes&gt;", "size": 1234, "rawSize": 4096}, ...]}</pre>
 * {@code files} and {@code bytes} describe the unpacked content; {@code rawSize} is the size of a chunk's
 * uncompressed archive stream (see {@link PackageArchive}).
 *
 * <p>A chunk may name its own codec ({@code "codec": "lz4"} or {@code "stored"} in its entry; see
 * {@link ChunkCodecs}); a manifest in which any chunk does is written as format {@value #FORMAT_PER_CHUNK}, so that a
 * node that predates per-chunk codecs refuses it by its format (a clear 400) instead of decoding a chunk with the
 * wrong codec. A manifest without per-chunk codecs stays {@value #FORMAT}, byte for byte as before, so the sha256
 * recorded for it (ADR 0027) still matches; a chunk without a codec of its own uses the manifest's.
 */
public record ChunkManifest(String digest, Codec codec, int files, long bytes, List<Chunk> chunks) {
    public static final String FORMAT = "nest-chunks/1";
    /** The format of a manifest in which some chunk names its own codec. */
    public static final String FORMAT_PER_CHUNK = "nest-chunks/2";
    /** The default chunk size (uncompressed archive stream). */
    public static final int DEFAULT_CHUNK_BYTES = 4 << 20;
    /** No chunk may declare more than this uncompressed size: bounds the memory one chunk can take. */
    public static final int MAX_CHUNK_BYTES = 64 << 20;

    /**
     * One chunk: sha256 hex of its compressed bytes, compressed size, uncompressed size, and its own codec (empty: the
     * manifest's).
     */
    public record Chunk(String sha256, long size, int rawSize, java.util.Optional<Codec> codec) {
        /** A chunk compressed with the manifest's codec. */
        public Chunk(String sha256, long size, int rawSize) {
            this(sha256, size, rawSize, java.util.Optional.empty());
        }
    }

    /** The codec chunk {@code c} (one of this manifest's) was compressed with. */
    public Codec codecOf(Chunk c) {
        return c.codec().orElse(codec);
    }

    public ChunkManifest {
        chunks = List.copyOf(chunks);
    }

    public long compressedBytes() {
        return chunks.stream().mapToLong(Chunk::size).sum();
    }

    public long rawBytes() {
        return chunks.stream().mapToLong(Chunk::rawSize).sum();
    }

    /** Whether some chunk names a codec other than the manifest's: the manifest is {@value #FORMAT_PER_CHUNK}. */
    public boolean perChunk() {
        return chunks.stream().anyMatch(c -> c.codec().isPresent() && c.codec().get() != codec);
    }

    public byte[] toJson() {
        ObjectNode n = Json.mapper().createObjectNode();
        boolean perChunk = perChunk();
        n.put("format", perChunk ? FORMAT_PER_CHUNK : FORMAT);
        n.put("digest", digest);
        n.put("codec", codec.id());
        n.put("files", files);
        n.put("bytes", bytes);
        ArrayNode a = n.putArray("chunks");
        for (Chunk c : chunks) {
            ObjectNode e = a.addObject().put("sha256", c.sha256()).put("size", c.size()).put("rawSize", c.rawSize());
            if (perChunk && codecOf(c) != codec) {
                e.put("codec", codecOf(c).id());
            }
        }
        return Json.bytes(n);
    }

    /** Parses and checks a manifest; every mistake is a 400 naming the key. */
    public static ChunkManifest parse(byte[] json) {
        JsonNode n;
        try {
            n = Json.tree(json, "manifest");
        } catch (RuntimeException e) {
            throw new ArtifactException(400, "the manifest is not valid JSON: " + e.getMessage(), e);
        }
        if (!n.isObject()) {
            throw new ArtifactException(400, "the manifest must be a JSON object");
        }
        String format = n.path("format").asText(FORMAT);
        if (!format.equals(FORMAT) && !format.equals(FORMAT_PER_CHUNK)) {
            throw new ArtifactException(400, "manifest key 'format': value '" + format + "' is not supported; allowed: "
                    + FORMAT + ", " + FORMAT_PER_CHUNK);
        }
        String digest = n.path("digest").asText("");
        Digests.hex(digest);
        Codec codec = Codec.parse(n.path("codec").asText("zstd"), "manifest key 'codec': value");
        int files = n.path("files").asInt(-1);
        long bytes = n.path("bytes").asLong(-1);
        if (files < 1 || bytes < 0) {
            throw new ArtifactException(400, "manifest keys 'files' and 'bytes' are required: the unpacked file count (>= 1) and size");
        }
        JsonNode cs = n.path("chunks");
        if (!cs.isArray() || cs.isEmpty()) {
            throw new ArtifactException(400, "manifest key 'chunks': required, a non-empty list of {sha256, size, rawSize}");
        }
        List<Chunk> chunks = new ArrayList<>();
        for (int i = 0; i < cs.size(); i++) {
            JsonNode c = cs.get(i);
            String sha = c.path("sha256").asText("");
            long size = c.path("size").asLong(-1);
            long raw = c.path("rawSize").asLong(-1);
            if (!sha.matches("[0-9a-f]{64}")) {
                throw new ArtifactException(400, "manifest key 'chunks[" + i + "].sha256': value '" + sha + "' is not 64 lowercase hex digits");
            }
            if (size < 1 || size > MAX_CHUNK_BYTES + (MAX_CHUNK_BYTES >> 4)) {
                throw new ArtifactException(400, "manifest key 'chunks[" + i + "].size': value " + size + " is out of range 1.." + MAX_CHUNK_BYTES);
            }
            if (raw < 1 || raw > MAX_CHUNK_BYTES) {
                throw new ArtifactException(400, "manifest key 'chunks[" + i + "].rawSize': value " + raw
                        + " is out of range 1.." + MAX_CHUNK_BYTES + "; use smaller chunks");
            }
            java.util.Optional<Codec> own = java.util.Optional.empty();
            if (c.has("codec")) {
                if (!format.equals(FORMAT_PER_CHUNK)) {
                    throw new ArtifactException(400, "manifest key 'chunks[" + i + "].codec': a codec per chunk needs format "
                            + FORMAT_PER_CHUNK + ", not " + format);
                }
                own = java.util.Optional.of(Codec.parse(c.path("codec").asText(""), "manifest key 'chunks[" + i + "].codec': value"));
            }
            if (own.orElse(codec) == Codec.STORED && size != raw) {
                throw new ArtifactException(400, "manifest key 'chunks[" + i + "].size': value " + size + " differs from its"
                        + " rawSize " + raw + "; a stored chunk is its uncompressed bytes");
            }
            chunks.add(new Chunk(sha, size, (int) raw, own));
        }
        return new ChunkManifest(digest, codec, files, bytes, chunks);
    }
}
