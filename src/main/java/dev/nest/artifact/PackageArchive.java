package dev.nest.artifact;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * The archive framing inside chunks ("nest-chunks/1"). A chunk's uncompressed bytes are a sequence of records,
 * all integers big-endian:
 * <pre>
 *   u8  kind        'F' (a regular file or a part of one; nothing else exists: no links, no devices, no dirs)
 *   u16 pathLength  then the path, UTF-8, relative, '/'-separated, no '..', not absolute
 *   u16 mode        POSIX permission bits; only the owner's executable bit (0100) is honoured
 *   u64 fileSize    the whole file's size
 *   u64 offset      where this part starts in the file
 *   u32 partLength  then the part's bytes
 * </pre>
 * Every chunk is self-contained: it starts with a record header, so chunks decompress and unpack independently
 * and in parallel. A file that fits in a chunk is never split; a larger one is split into parts at chunk
 * boundaries. Directories are implied by paths (empty directories are not carried, as in the digest).
 */
final class PackageArchive {
    static final byte FILE = 'F';
    private static final int HEADER = 1 + 2 + 2 + 8 + 8 + 4;
    /** The longest path a record may carry, in bytes. */
    static final int MAX_PATH_BYTES = 4096;
    /** The most bytes one record's header may take (with the longest path). */
    static final int MAX_RECORD_HEADER = HEADER + MAX_PATH_BYTES;

    private PackageArchive() {
    }

    /** Receives each finished chunk: its manifest entry and its compressed bytes, in order. */
    interface ChunkSink {
        void accept(ChunkManifest.Chunk chunk, byte[] compressed) throws IOException;
    }

    /** A regular file to pack: its archive path, the file, its size and whether it is executable. */
    record Source(String path, Path file, long size, boolean executable) {
    }

    /**
     * The regular files under {@code dir} that {@code include} accepts, sorted by path; skips {@code .git}
     * directories and anything that is neither a file nor a directory (sockets, fifos, devices).
     *
     * <p>Symbolic links: a link whose target stays inside {@code dir} is packed as what it points to (a file's
     * content under the link's path; a directory's files under the link's path), so a package never holds a link.
     * A link whose target leaves {@code dir}, a broken link and a link that loops back to one of its own parents
     * (unless it is a file link that {@code include} leaves out) are refused with an {@link ArtifactException} 400 naming the link (its path relative to {@code dir}) and
     * its target. The files are later opened without following links ({@link #open}), so a file swapped for a
     * link after listing is not read either.
     */
    static List<Source> list(Path dir, Predicate<String> include) throws IOException {
        Path root = dir.toRealPath();
        TreeMap<String, Source> files = new TreeMap<>();
        walk(root, root, "", new java.util.HashSet<>(), include, files);
        return new ArrayList<>(files.values());
    }

    private static void walk(Path root, Path realDir, String prefix, Set<Path> parents, Predicate<String> include,
                             TreeMap<String, Source> files) throws IOException {
        parents.add(realDir);
        List<Path> children;
        try (var s = Files.list(realDir)) {
            children = s.sorted().toList();
        }
        for (Path child : children) {
            String name = child.getFileName().toString();
            String rel = prefix + name;
            BasicFileAttributes attrs = Files.readAttributes(child, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            Path real = child;
            if (attrs.isSymbolicLink() && !Files.isDirectory(child) && !include.test(rel)) {
                continue; // a link to a file left out of the package (function.yaml, say) is never read
            }
            if (attrs.isSymbolicLink()) {
                String target = Files.readSymbolicLink(child).toString();
                try {
                    real = child.toRealPath();
                } catch (IOException e) {
                    throw new ArtifactException(400, "symbolic link '" + rel + "' points to '" + target
                            + "', which does not exist; remove the link or create its target inside the function directory");
                }
                if (!real.startsWith(root)) {
                    throw new ArtifactException(400, "symbolic link '" + rel + "' points to '" + target
                            + "', outside the function directory; copy what it points to into the directory or remove the link");
                }
                if (parents.contains(real)) {
                    throw new ArtifactException(400, "symbolic link '" + rel + "' points to '" + target
                            + "', one of its own parent directories; remove the link");
                }
                attrs = Files.readAttributes(real, BasicFileAttributes.class);
            }
            if (attrs.isDirectory()) {
                if (!name.equals(".git")) {
                    walk(root, real, rel + "/", parents, include, files);
                }
            } else if (attrs.isRegularFile() && include.test(rel)) {
                files.put(rel, new Source(rel, real, attrs.size(), Files.isExecutable(real)));
            }
        }
        parents.remove(realDir);
    }

    /** Opens a listed file without following a link (a file replaced by a link after {@link #list} is refused). */
    static InputStream open(Source s) throws IOException {
        return Files.newInputStream(s.file(), LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * Packs {@code files} into chunks of about {@code chunkSize} uncompressed bytes compressed with {@code codec},
     * handing each to {@code sink}; returns the manifest (whose digest is computed while reading the files).
     */
    static ChunkManifest pack(List<Source> files, Codec codec, int chunkSize, ChunkSink sink) throws IOException {
        return pack(files, codec, ChunkCodecs.Policy.UNIFORM, chunkSize, sink);
    }

    /**
     * {@link #pack(List, Codec, int, ChunkSink)} choosing each chunk's codec with {@code policy} ({@link ChunkCodecs});
     * {@code codec} is the package's.
     */
    static ChunkManifest pack(List<Source> files, Codec codec, ChunkCodecs.Policy policy, int chunkSize, ChunkSink sink)
            throws IOException {
        if (chunkSize < 1024 || chunkSize > ChunkManifest.MAX_CHUNK_BYTES) {
            throw new ArtifactException(400, "chunk size " + chunkSize + " is out of range 1024.." + ChunkManifest.MAX_CHUNK_BYTES);
        }
        Packer p = new Packer(codec, policy, chunkSize, sink);
        TreeMap<String, String> hashes = new TreeMap<>();
        long total = 0;
        byte[] buf = new byte[1 << 20];
        for (Source s : files) {
            byte[] path = s.path().getBytes(StandardCharsets.UTF_8);
            if (path.length > MAX_PATH_BYTES || HEADER + path.length > chunkSize / 2) {
                throw new ArtifactException(400, "path '" + s.path() + "' is too long for the package format (at most 4096 bytes)");
            }
            int mode = s.executable() ? 0755 : 0644;
            MessageDigest md = Digests.sha256();
            long size = s.size();
            // a file that fits in a fresh chunk is never split: start a new chunk when it does not fit this one
            if (HEADER + path.length + size <= chunkSize && p.room() < HEADER + path.length + size) {
                p.flush();
            }
            try (InputStream in = open(s)) {
                long offset = 0;
                do {
                    if (p.room() <= HEADER + path.length) {
                        p.flush();
                    }
                    int part = (int) Math.min(size - offset, p.room() - HEADER - path.length);
                    p.header(path, mode, size, offset, part);
                    int read = 0;
                    while (read < part) {
                        int n = in.readNBytes(buf, 0, Math.min(buf.length, part - read));
                        if (n <= 0) {
                            throw new ArtifactException(400, "'" + s.path() + "' shrank while it was being packed; pack again");
                        }
                        md.update(buf, 0, n);
                        p.bytes(buf, n);
                        read += n;
                    }
                    offset += part;
                } while (offset < size);
            }
            hashes.put(s.path(), HexFormat.of().formatHex(md.digest()));
            total += size;
        }
        p.flush();
        if (hashes.isEmpty()) {
            throw new ArtifactException(400, "the package is empty");
        }
        return new ChunkManifest(Digests.digestOf(hashes), codec, hashes.size(), total, p.chunks);
    }

    private static final class Packer {
        final Codec codec;
        final ChunkCodecs.Policy policy;
        final byte[] raw;
        final ChunkSink sink;
        final List<ChunkManifest.Chunk> chunks = new ArrayList<>();
        int used;
        int records;

        Packer(Codec codec, ChunkCodecs.Policy policy, int chunkSize, ChunkSink sink) {
            this.codec = codec;
            this.policy = policy;
            this.raw = new byte[chunkSize];
            this.sink = sink;
        }

        int room() {
            return raw.length - used;
        }

        void header(byte[] path, int mode, long size, long offset, int part) {
            ByteBuffer b = ByteBuffer.wrap(raw, used, HEADER + path.length);
            b.put(FILE).putShort((short) path.length).put(path).putShort((short) mode).putLong(size).putLong(offset).putInt(part);
            used += HEADER + path.length;
            records++;
        }

        void bytes(byte[] buf, int n) {
            System.arraycopy(buf, 0, raw, used, n);
            used += n;
        }

        void flush() throws IOException {
            if (used == 0) {
                return;
            }
            Codec tried = ChunkCodecs.first(policy, codec, records);
            byte[] c = tried.compress(raw, used);
            Codec kept = ChunkCodecs.keep(policy, tried, used, c.length);
            if (kept != tried) {
                c = kept.compress(raw, used);
            }
            ChunkManifest.Chunk chunk = new ChunkManifest.Chunk(HexFormat.of().formatHex(Digests.sha256().digest(c)), c.length, used,
                    kept == codec ? java.util.Optional.empty() : java.util.Optional.of(kept));
            chunks.add(chunk);
            sink.accept(chunk, c);
            used = 0;
            records = 0;
        }
    }

    // ---- unpacking -------------------------------------------------------------------------------------

    /**
     * What the chunks of one package have unpacked so far, shared by the threads unpacking its chunks: enforces
     * the limits across chunks, refuses a path given twice, and collects each file's sha256.
     */
    static final class Unpacked {
        final Path stage;
        final PackageLimits limits;
        final AtomicLong bytes = new AtomicLong();
        final AtomicInteger entries = new AtomicInteger();
        /** Files that arrived whole, with their hash. */
        final Map<String, String> hashes = new ConcurrentHashMap<>();
        /** Files that arrived in parts: size and bytes received; hashed once every part is written. */
        final Map<String, long[]> split = new ConcurrentHashMap<>();
        /** Directories known to exist, so that each file costs no directory check. */
        final Set<Path> dirs = ConcurrentHashMap.newKeySet();

        /** Bytes the files' records declare (each file counted once, at its first part). */
        final AtomicLong declared = new AtomicLong();
        /** What the manifest declares the files add up to: no chunk may write beyond it. */
        final long manifestBytes;
        /** Whether each file is hashed (false: the manifest is trusted, each file's hash is recorded as ""). */
        final boolean hashFiles;

        Unpacked(Path stage, PackageLimits limits, long manifestBytes) {
            this(stage, limits, manifestBytes, true);
        }

        Unpacked(Path stage, PackageLimits limits, long manifestBytes, boolean hashFiles) {
            this.stage = stage;
            this.limits = limits;
            this.manifestBytes = manifestBytes;
            this.hashFiles = hashFiles;
            dirs.add(stage);
        }

        /** Refuses {@code total} bytes when they pass the limit or what the manifest declares. */
        void checkBytes(long total, String counted) {
            if (total > limits.maxBytes()) {
                throw new ArtifactException(400, "the package unpacks to more than " + limits.maxBytes()
                        + " bytes; make it smaller or raise the limit");
            }
            if (total > manifestBytes) {
                throw new ArtifactException(400, "the chunks " + counted + " more than the " + manifestBytes
                        + " bytes the manifest declares; pack the package again");
            }
        }

        /**
         * Hashes the split files (in parallel, on virtual threads; not when {@link #hashFiles} is false), makes them
         * read-only like the others, and returns every file's hash ("" when not hashed), sorted by path.
         */
        TreeMap<String, String> finish() throws IOException {
            TreeMap<String, String> all = new TreeMap<>(hashes);
            for (var e : split.entrySet()) {
                long[] s = e.getValue();
                if (s[1] != s[0]) {
                    throw new ArtifactException(400, "package file '" + e.getKey() + "' is incomplete: " + s[1] + " of "
                            + s[0] + " bytes arrived; a chunk is missing from the manifest");
                }
            }
            Map<String, java.util.concurrent.Future<String>> pending = new TreeMap<>();
            try (var exec = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
                for (var e : split.entrySet()) {
                    Path f = stage.resolve(e.getKey());
                    boolean exe = (e.getValue()[2] & 0100) != 0;
                    pending.put(e.getKey(), exec.submit(() -> {
                        String h = hashFiles ? Digests.hashFile(f) : "";
                        setPermissions(f, exe);
                        return h;
                    }));
                }
                for (var e : pending.entrySet()) {
                    all.put(e.getKey(), e.getValue().get());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            } catch (java.util.concurrent.ExecutionException e) {
                throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
            }
            return all;
        }
    }

    private static final Set<PosixFilePermission> READ_ONLY = PosixFilePermissions.fromString("r--r--r--");
    private static final Set<PosixFilePermission> READ_EXECUTE = PosixFilePermissions.fromString("r-xr-xr-x");

    private static void setPermissions(Path f, boolean executable) throws IOException {
        try {
            Files.setPosixFilePermissions(f, executable ? READ_EXECUTE : READ_ONLY);
        } catch (UnsupportedOperationException ignored) {
            // not a POSIX file system
        }
    }

    /**
     * How many records the uncompressed chunk {@code raw} holds, counting no further than {@code max + 1}; a malformed
     * chunk counts as far as its headers can be followed ({@link #unpack} refuses it).
     */
    static int records(byte[] raw, int max) {
        return records(raw, raw.length, max);
    }

    /** {@link #records(byte[], int)} of the bytes of {@code raw} from its position to its limit (not moved). */
    static int records(ByteBuffer raw, int max) {
        int n = 0;
        int base = raw.position();
        long length = raw.remaining();
        long pos = 0;
        while (pos + HEADER <= length && n <= max) {
            int pathLength = Short.toUnsignedInt(raw.getShort(base + (int) pos + 1));
            long partAt = pos + 1 + 2 + pathLength + 2 + 8 + 8;
            if (partAt + 4 > length) {
                return n + 1;
            }
            long part = Integer.toUnsignedLong(raw.getInt(base + (int) partAt));
            n++;
            pos = partAt + 4 + part;
        }
        return n;
    }

    /** {@link #records(byte[], int)} of the first {@code length} bytes of {@code raw}. */
    static int records(byte[] raw, int length, int max) {
        int n = 0;
        long pos = 0;
        while (pos + HEADER <= length && n <= max) {
            int pathLength = ((raw[(int) pos + 1] & 0xff) << 8) | (raw[(int) pos + 2] & 0xff);
            long partAt = pos + 1 + 2 + pathLength + 2 + 8 + 8;
            if (partAt + 4 > length) {
                return n + 1;
            }
            int i = (int) partAt;
            long part = ((long) (raw[i] & 0xff) << 24) | ((raw[i + 1] & 0xff) << 16) | ((raw[i + 2] & 0xff) << 8) | (raw[i + 3] & 0xff);
            n++;
            pos = partAt + 4 + part;
        }
        return n;
    }

    /** Makes every file under {@code dir} read-only for everyone. */
    static void makeReadOnly(Path dir) throws IOException {
        Files.walkFileTree(dir, new java.nio.file.SimpleFileVisitor<>() {
            @Override
            public java.nio.file.FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
                f.toFile().setWritable(false, false);
                return java.nio.file.FileVisitResult.CONTINUE;
            }
        });
    }

    /** Unpacks one chunk's uncompressed records into {@code u.stage}; {@code what} names the chunk in errors. */
    static void unpack(byte[] raw, String what, Unpacked u) throws IOException {
        unpack(raw, raw.length, what, u);
    }

    /** {@link #unpack(byte[], String, Unpacked)} of the first {@code length} bytes of {@code raw} (a reused buffer). */
    static void unpack(byte[] raw, int length, String what, Unpacked u) throws IOException {
        unpack(ByteBuffer.wrap(raw, 0, length), what, u);
    }

    /**
     * {@link #unpack(byte[], String, Unpacked)} of the bytes of {@code raw} from its position to its limit (not moved):
     * a direct buffer is written to the files without the JDK's copy into a temporary direct buffer.
     */
    static void unpack(ByteBuffer raw, String what, Unpacked u) throws IOException {
        ByteBuffer b = raw.slice();
        while (b.hasRemaining()) {
            if (b.remaining() < HEADER || b.get() != FILE) {
                throw new ArtifactException(400, what + " holds a record that is not a regular file (links, devices and "
                        + "other kinds are refused) or is cut short at byte " + b.position());
            }
            int pathLength = Short.toUnsignedInt(b.getShort());
            if (pathLength > MAX_PATH_BYTES) {
                throw new ArtifactException(400, what + " holds a path of " + pathLength + " bytes; paths may be at most "
                        + MAX_PATH_BYTES + " bytes");
            }
            if (pathLength == 0 || b.remaining() < pathLength + HEADER - 3) {
                throw new ArtifactException(400, what + " is cut short at byte " + b.position());
            }
            byte[] pathBytes = new byte[pathLength];
            b.get(pathBytes);
            String name = new String(pathBytes, StandardCharsets.UTF_8);
            int mode = Short.toUnsignedInt(b.getShort());
            long size = b.getLong();
            long offset = b.getLong();
            int part = b.getInt();
            if (size < 0 || offset < 0 || part < 0 || offset + part > size || part > b.remaining()) {
                throw new ArtifactException(400, what + ": entry '" + name + "' declares an impossible size or offset");
            }
            String rel = safeName(name);
            Path target = u.stage.resolve(rel).normalize();
            if (!target.startsWith(u.stage) || target.equals(u.stage)) {
                throw new ArtifactException(400, "package entry '" + name + "' points outside the package; use relative paths without '..'");
            }
            boolean whole = offset == 0 && part == size;
            if (whole || offset == 0) {
                if (u.entries.incrementAndGet() > u.limits.maxEntries()) {
                    throw new ArtifactException(400, "the package has more than " + u.limits.maxEntries()
                            + " entries; leave build caches and test data out of the package");
                }
            }
            if (offset == 0) {
                // the file's declared size counts before any of its bytes is written
                u.checkBytes(u.declared.addAndGet(size), "declare files of");
            }
            u.checkBytes(u.bytes.addAndGet(part), "hold");
            ByteBuffer data = b.slice(b.position(), part);
            b.position(b.position() + part);
            mkdirs(target.getParent(), u, name);
            if (whole) {
                MessageDigest md = u.hashFiles ? Digests.sha256() : null;
                if (md != null) {
                    md.update(data.duplicate());
                }
                // created read-only (the fd still writes): no second pass over every file to protect it
                try (FileChannel ch = FileChannel.open(target, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                        LinkOption.NOFOLLOW_LINKS), POSIX ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(
                                (mode & 0100) != 0 ? READ_EXECUTE : READ_ONLY)} : new FileAttribute<?>[0])) {
                    writeAt(ch, data, 0);
                } catch (FileAlreadyExistsException e) {
                    throw new ArtifactException(400, "package entry '" + rel + "' appears twice, or also as a directory; "
                            + "keep one of them");
                }
                if (u.hashes.put(rel, md == null ? "" : HexFormat.of().formatHex(md.digest())) != null || u.split.containsKey(rel)) {
                    throw new ArtifactException(400, "package entry '" + rel + "' appears twice");
                }
            } else {
                long[] state = u.split.computeIfAbsent(rel, k -> new long[] {size, 0, mode});
                if (state[0] != size || u.hashes.containsKey(rel)) {
                    throw new ArtifactException(400, "package entry '" + rel + "' appears twice with different sizes");
                }
                try (FileChannel ch = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        LinkOption.NOFOLLOW_LINKS)) {
                    writeAt(ch, data, offset);
                } catch (FileSystemException e) {
                    throw new ArtifactException(400, "package entry '" + rel + "' is both a file and a directory; rename one");
                }
                synchronized (state) {
                    state[1] += part;
                    if (state[1] > size) {
                        throw new ArtifactException(400, "package entry '" + rel + "' has overlapping parts");
                    }
                }
            }
        }
    }

    /**
     * The most bytes one {@code write} call is given: a heap buffer is copied into the JDK's temporary direct buffer of
     * the same size first (allocated afresh when the thread has none that large, as on a new carrier thread), and the
     * kernel throttles a writer per call when dirty pages pile up; 1 MiB slices keep both small.
     */
    static final int WRITE_SLICE = 1 << 20;

    /** Writes all of {@code data} at {@code pos} of {@code ch} (positional writes, in slices of {@link #WRITE_SLICE}). */
    static void writeAt(FileChannel ch, ByteBuffer data, long pos) throws IOException {
        while (data.hasRemaining()) {
            int n = ch.write(data.slice(data.position(), Math.min(WRITE_SLICE, data.remaining())), pos);
            data.position(data.position() + n);
            pos += n;
        }
    }

    private static void mkdirs(Path dir, Unpacked u, String name) throws IOException {
        if (u.dirs.contains(dir)) {
            return;
        }
        try {
            Files.createDirectories(dir);
        } catch (FileSystemException e) {
            throw new ArtifactException(400, "package entry '" + name + "' needs directory '" + u.stage.relativize(dir)
                    + "', which is a file in the package; rename the file or the directory");
        }
        for (Path d = dir; d != null && d.startsWith(u.stage) && u.dirs.add(d); d = d.getParent()) {
            // remember it and its parents
        }
    }

    /** The longest name of one file or directory most file systems accept, in bytes. */
    static final int MAX_NAME_BYTES = 255;

    /**
     * Normalises a package entry name ({@code ./} prefixes, a trailing {@code /}, backslashes) and refuses, with a
     * 400 naming the entry and what to change: a NUL byte, an absolute path, a {@code ..} part, and a part (a file
     * or directory name) longer than {@link #MAX_NAME_BYTES} bytes.
     */
    static String safeName(String name) {
        if (name.indexOf('\0') >= 0) {
            throw new ArtifactException(400, "package entry '" + name.replace("\0", "\\0") + "' contains a NUL byte; "
                    + "rename the file");
        }
        String n = name.replace('\\', '/');
        if (n.startsWith("/") || n.matches("^[A-Za-z]:.*")) {
            throw new ArtifactException(400, "package entry '" + name + "' is an absolute path; use paths relative to the function's directory");
        }
        for (String part : n.split("/")) {
            if (part.equals("..")) {
                throw new ArtifactException(400, "package entry '" + name + "' points outside the package; use relative paths without '..'");
            }
            int bytes = part.getBytes(StandardCharsets.UTF_8).length;
            if (bytes > MAX_NAME_BYTES) {
                throw new ArtifactException(400, "package entry '" + name + "' has a name of " + bytes + " bytes; file and "
                        + "directory names may be at most " + MAX_NAME_BYTES + " bytes: shorten it");
            }
        }
        while (n.startsWith("./")) {
            n = n.substring(2);
        }
        return n.endsWith("/") ? n.substring(0, n.length() - 1) : n;
    }

    private static final boolean POSIX = java.nio.file.FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
}
