package dev.nest.driver.process;

import dev.nest.spi.SandboxException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Hands out the uids {@code base .. base + count - 1}, one per running pod, across every Nest process on the
 * machine: a slot is held through an exclusive lock on {@code <locks>/<uid>.lock}, which the kernel releases
 * when Nest dies, so two nodes on one machine never run pods as the same uid.
 *
 * <p>A uid is only ever used by one pod at a time, so anything still running as it when it is taken or given
 * back is a leftover of an earlier pod (a process that escaped its host's process tree, or the pods of a crashed
 * Nest) and is killed. {@link #sweep()} does the same at start for every uid no live Nest holds.
 *
 * <p>Thread-safe. Limits: a pid found in a scan may exit and be reused before it is killed (a window of
 * microseconds); the lock directory must be on a local file system where only root writes.
 */
final class UidSlots {
    /** Lock files held by this JVM: a second lock of the same file from one JVM throws instead of failing. */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final int base;
    private final int count;
    private final Path locks;
    private final ProcessTable procs;

    UidSlots(int base, int count, Path locks, ProcessTable procs) {
        this.base = base;
        this.count = count;
        this.locks = locks;
        this.procs = procs;
    }

    /** One held uid; {@link #close()} kills what still runs as it and gives it back. */
    final class Slot implements AutoCloseable {
        private final int uid;
        private final Path file;
        private final FileChannel channel;
        private boolean closed;

        private Slot(int uid, Path file, FileChannel channel) {
            this.uid = uid;
            this.file = file;
            this.channel = channel;
        }

        int uid() {
            return uid;
        }

        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            killAll(uid);
            try {
                channel.close();
            } catch (IOException ignored) {
                // the lock goes with the channel either way
            } finally {
                HELD.remove(file);
            }
        }
    }

    /**
     * Takes a free uid and kills anything left running as it.
     *
     * @throws SandboxException when every uid of the range is taken, or the lock directory is unusable
     */
    Slot acquire() {
        prepareLocks();
        for (int i = 0; i < count; i++) {
            int uid = base + i;
            Optional<Slot> s = tryTake(uid);
            if (s.isPresent()) {
                killAll(uid);
                return s.get();
            }
        }
        throw new SandboxException("all " + count + " pod uids from " + base + " are in use on this machine; raise "
                + ProcessDriverSettings.PREFIX + "uid-count (or lower sidecar.max-pods)");
    }

    /** Kills every process that runs as a uid of the range that no live Nest holds; returns how many uids had any. */
    int sweep() {
        prepareLocks();
        int swept = 0;
        for (Map.Entry<Integer, List<Long>> e : procs.byUid(base, count).entrySet()) {
            Optional<Slot> s = tryTake(e.getKey());
            if (s.isPresent()) {
                swept++;
                s.get().close();
            }
        }
        return swept;
    }

    private void killAll(int uid) {
        for (int round = 0; round < 3; round++) {
            List<Long> left = procs.byUid(uid, 1).getOrDefault(uid, List.of());
            if (left.isEmpty()) {
                return;
            }
            // a second round catches children forked while the first was being killed
            left.forEach(procs::kill);
        }
    }

    private Optional<Slot> tryTake(int uid) {
        Path file = locks.resolve(uid + ".lock");
        if (!HELD.add(file)) {
            return Optional.empty();
        }
        FileChannel ch = null;
        try {
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = ch.tryLock();
            if (lock != null) {
                return Optional.of(new Slot(uid, file, ch));
            }
            ch.close();
            HELD.remove(file);
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch);
            HELD.remove(file);
            throw new SandboxException("cannot lock " + file + " (the process driver's uid slots): " + e.getMessage()
                    + "; set " + ProcessDriverSettings.PREFIX + "uid-locks to a directory only root can write", e);
        }
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // the lock goes with the channel either way
            }
        }
    }

    private void prepareLocks() {
        if (Files.isDirectory(locks)) {
            return;
        }
        try {
            Files.createDirectories(locks);
            Files.setPosixFilePermissions(locks, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new SandboxException("cannot create " + locks + " for the process driver's uid slots: " + e.getMessage(), e);
        }
    }
}
