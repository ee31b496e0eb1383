package dev.nest.artifact;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * The central directory of a spooled zip, read and judged before a single entry is written: every entry's name
 * (as raw bytes, so a NUL cannot hide), its declared sizes and its Unix file type. {@link #plan} then refuses,
 * with a 400 naming the entry and what to change, everything the unpacker must never write: names that are
 * absolute, hold {@code ..} or NUL, or have a part over {@link PackageArchive#MAX_NAME_BYTES} bytes; symbolic
 * links, devices and other special files; an entry given twice; a path that is both a file and a directory
 * ({@code a} and {@code a/b}); and more entries or declared bytes than {@link PackageLimits} allow.
 *
 * <p>Declared sizes can lie: {@link ZipUnpacker} still counts every byte it writes against each entry's declared
 * size. Limits: the central directory may take at most {@link #MAX_DIRECTORY_BYTES}; zip64 sizes, counts and
 * offsets are read. Stateless and thread-safe.
 */
final class ZipDirectory {
    /** The largest central directory read (100,000 entries with long names fit). */
    static final int MAX_DIRECTORY_BYTES = 64 << 20;

    private static final int EOCD = 0x06054b50;
    private static final int ZIP64_LOCATOR = 0x07064b50;
    private static final int ZIP64_EOCD = 0x06064b50;
    private static final int CEN = 0x02014b50;
    private static final long U32 = 0xFFFFFFFFL;

    private static final int S_IFMT = 0170000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFLNK = 0120000;

    private ZipDirectory() {
    }

    /**
     * One central directory entry.
     *
     * @param name      the name as stored, decoded as UTF-8
     * @param size      the declared uncompressed size
     * @param unixType  the Unix file type bits ({@code S_IFMT}) when the entry was made on Unix and says so, else 0
     * @param directory the name ends with {@code /}
     */
    record Entry(String name, long size, int unixType, boolean directory) {
    }

    /** What a checked zip will unpack to: its files (normalised path to entry name) and directories. */
    record Plan(TreeMap<String, String> files, Set<String> directories, long declaredBytes) {
    }

    /** Reads the central directory of the zip {@code file}; a zip that cannot be read is a 400. */
    static List<Entry> read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long length = ch.size();
            int tail = (int) Math.min(length, 22 + 0xFFFF);
            ByteBuffer end = read(ch, length - tail, tail);
            int eocd = -1;
            for (int i = tail - 22; i >= 0; i--) {
                if (end.getInt(i) == EOCD) {
                    eocd = i;
                    break;
                }
            }
            if (eocd < 0) {
                throw notZip("no end of central directory record; the upload may be cut short");
            }
            long count = Short.toUnsignedInt(end.getShort(eocd + 10));
            long size = Integer.toUnsignedLong(end.getInt(eocd + 12));
            long offset = Integer.toUnsignedLong(end.getInt(eocd + 16));
            long eocdAt = length - tail + eocd;
            if ((count == 0xFFFF || size == U32 || offset == U32) && eocdAt >= 20) {
                ByteBuffer loc = read(ch, eocdAt - 20, 20);
                if (loc.getInt(0) == ZIP64_LOCATOR) {
                    long at = loc.getLong(8);
                    if (at < 0 || at + 56 > length) {
                        throw notZip("the zip64 end record is out of the file");
                    }
                    ByteBuffer z = read(ch, at, 56);
                    if (z.getInt(0) != ZIP64_EOCD) {
                        throw notZip("the zip64 end record is missing");
                    }
                    count = z.getLong(32);
                    size = z.getLong(40);
                    offset = z.getLong(48);
                }
            }
            if (size < 0 || size > MAX_DIRECTORY_BYTES) {
                throw new ArtifactException(400, "the package's zip directory takes " + size + " bytes; at most "
                        + MAX_DIRECTORY_BYTES + " are accepted: leave build caches and test data out of the package");
            }
            if (offset < 0 || offset + size > length) {
                throw notZip("the central directory lies outside the file; the upload may be cut short");
            }
            return entries(read(ch, offset, (int) size), count);
        }
    }

    private static List<Entry> entries(ByteBuffer b, long count) {
        List<Entry> out = new ArrayList<>();
        while (b.remaining() >= 46 && b.getInt(b.position()) == CEN) {
            int at = b.position();
            int madeBy = Short.toUnsignedInt(b.getShort(at + 4)) >>> 8;
            long size = Integer.toUnsignedLong(b.getInt(at + 24));
            int nameLength = Short.toUnsignedInt(b.getShort(at + 28));
            int extraLength = Short.toUnsignedInt(b.getShort(at + 30));
            int commentLength = Short.toUnsignedInt(b.getShort(at + 32));
            long external = Integer.toUnsignedLong(b.getInt(at + 38));
            if (b.remaining() < 46 + nameLength + extraLength + commentLength) {
                throw notZip("the central directory is cut short");
            }
            byte[] name = new byte[nameLength];
            b.get(at + 46, name);
            if (size == U32) {
                size = zip64Size(b, at + 46 + nameLength, extraLength).orElse(U32);
            }
            int unixType = madeBy == 3 ? (int) (external >>> 16) & S_IFMT : 0;
            String n = new String(name, StandardCharsets.UTF_8);
            out.add(new Entry(n, size, unixType, n.endsWith("/") || n.endsWith("\\")));
            b.position(at + 46 + nameLength + extraLength + commentLength);
        }
        if (out.size() != count) {
            throw notZip("the central directory holds " + out.size() + " entries, not the " + count + " its end record declares");
        }
        return out;
    }

    /** The uncompressed size from a zip64 extra field at {@code at} (always its first value), when there is one. */
    private static java.util.OptionalLong zip64Size(ByteBuffer b, int at, int length) {
        int end = at + length;
        for (int i = at; i + 4 <= end; ) {
            int id = Short.toUnsignedInt(b.getShort(i));
            int len = Short.toUnsignedInt(b.getShort(i + 2));
            if (id == 0x0001 && len >= 8 && i + 12 <= end) {
                long size = b.getLong(i + 4);
                return size < 0 ? java.util.OptionalLong.of(Long.MAX_VALUE) : java.util.OptionalLong.of(size);
            }
            i += 4 + len;
        }
        return java.util.OptionalLong.empty();
    }

    /**
     * Judges {@code entries} as a whole before anything is written (see the class comment); returns what to write.
     *
     * @throws ArtifactException 400 naming the first entry that breaks a rule and what to change
     */
    static Plan plan(List<Entry> entries, PackageLimits limits) {
        if (entries.size() > limits.maxEntries()) {
            throw new ArtifactException(400, "the package has more than " + limits.maxEntries() + " entries ("
                    + entries.size() + "); leave build caches and test data out of the package");
        }
        TreeMap<String, String> files = new TreeMap<>();
        Set<String> dirs = new HashSet<>();
        long declared = 0;
        for (Entry e : entries) {
            String rel = PackageArchive.safeName(e.name());
            if (e.unixType == S_IFLNK) {
                throw new ArtifactException(400, "package entry '" + e.name() + "' is a symbolic link; packages carry "
                        + "regular files only: put the file it points to in its place (nest fn deploy does this)");
            }
            if (e.unixType != 0 && e.unixType != S_IFREG && e.unixType != S_IFDIR) {
                throw new ArtifactException(400, "package entry '" + e.name() + "' is a device, fifo or socket; packages "
                        + "carry regular files only: remove it");
            }
            if (rel.isEmpty() || rel.equals(".")) {
                if (e.directory() || e.unixType == S_IFDIR) {
                    continue;
                }
                throw new ArtifactException(400, "package entry '" + e.name() + "' has no file name; rename it");
            }
            if (e.directory() || e.unixType == S_IFDIR) {
                dirs.add(rel);
                continue;
            }
            if (files.put(rel, e.name()) != null) {
                throw new ArtifactException(400, "package entry '" + rel + "' appears twice; keep one of them");
            }
            declared += e.size();
            if (declared > limits.maxBytes()) {
                throw new ArtifactException(400, "the package unpacks to more than " + limits.maxBytes() + " bytes (its "
                        + "entries declare so, up to entry '" + e.name() + "'); make it smaller or raise the limit");
            }
        }
        for (String f : List.copyOf(files.keySet())) {
            for (int i = f.indexOf('/'); i >= 0; i = f.indexOf('/', i + 1)) {
                dirs.add(f.substring(0, i));
            }
        }
        for (String d : dirs) {
            if (files.containsKey(d)) {
                throw new ArtifactException(400, "package entry '" + files.get(d) + "' is a file, but other entries need a "
                        + "directory '" + d + "'; rename the file or the directory");
            }
        }
        return new Plan(files, dirs, declared);
    }

    private static ByteBuffer read(FileChannel ch, long at, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, at + b.position()) < 0) {
                throw notZip("the file ends early");
            }
        }
        return b.flip().order(ByteOrder.LITTLE_ENDIAN);
    }

    private static ArtifactException notZip(String why) {
        return new ArtifactException(400, "the package is not a valid zip archive (" + why + "); upload a complete zip "
                + "of the function's directory (nest fn deploy does this)");
    }
}
