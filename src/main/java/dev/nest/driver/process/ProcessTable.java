package dev.nest.driver.process;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The machine's processes, as the process driver needs them: read one, list those of a uid, kill one. A narrow
 * interface so the orphan and uid-slot decisions are tested against a fake ({@code FakeProcessTable}).
 *
 * <p>Implementations are thread-safe. Reads never throw for a process that is gone: they answer empty.
 */
interface ProcessTable {
    /** The process {@code pid}, if it exists and is readable. */
    Optional<ProcessRecord> read(long pid);

    /** The pids of the processes whose real uid is in {@code [from, from + count)}, by uid. */
    Map<Integer, List<Long>> byUid(int from, int count);

    /** Sends SIGKILL to {@code pid} (no effect if it is gone). */
    void kill(long pid);

    /** The effective uid of this JVM. */
    int selfUid();
}
