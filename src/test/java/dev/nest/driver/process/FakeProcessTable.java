package dev.nest.driver.process;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/** An in-memory process table: processes are added by the test; a kill removes the process and is recorded. */
final class FakeProcessTable implements ProcessTable {
    final Map<Long, ProcessRecord> processes = new ConcurrentHashMap<>();
    final List<Long> killed = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final int self;

    FakeProcessTable(int self) {
        this.self = self;
    }

    ProcessRecord add(long pid, long startTicks, int uid, String... cmdline) {
        ProcessRecord r = new ProcessRecord(pid, startTicks, uid, List.of(cmdline));
        processes.put(pid, r);
        return r;
    }

    @Override
    public Optional<ProcessRecord> read(long pid) {
        return Optional.ofNullable(processes.get(pid));
    }

    @Override
    public Map<Integer, List<Long>> byUid(int from, int count) {
        Map<Integer, List<Long>> out = new TreeMap<>();
        for (ProcessRecord r : processes.values()) {
            if (r.uid() >= from && r.uid() - from < count) {
                out.computeIfAbsent(r.uid(), u -> new ArrayList<>()).add(r.pid());
            }
        }
        return out;
    }

    @Override
    public void kill(long pid) {
        killed.add(pid);
        processes.remove(pid);
    }

    @Override
    public int selfUid() {
        return self;
    }
}
