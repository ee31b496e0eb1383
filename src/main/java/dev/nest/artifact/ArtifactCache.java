package dev.nest.artifact;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The bookkeeping of the node's package cache: each package's size (unpacked code plus its chunks), the chunks
 * it references, and a use counter (a logical clock, so the order is exact and tests need no time). The
 * eviction decision is {@link #evict}: least recently used first, never a pinned package, and a chunk is only
 * removed when no remaining package references it. Thread-safe (synchronized).
 */
final class ArtifactCache {
    /** A package to remove, with the chunks that only it referenced. */
    record Victim(String hex, List<String> orphanChunks) {
    }

    private record Entry(long bytes, List<String> chunks, long lastUse) {
    }

    private final Map<String, Entry> entries = new HashMap<>();
    private long clock;

    synchronized void put(String hex, long bytes, List<String> chunks) {
        entries.put(hex, new Entry(bytes, List.copyOf(chunks), ++clock));
    }

    synchronized void touch(String hex) {
        Entry e = entries.get(hex);
        if (e != null) {
            entries.put(hex, new Entry(e.bytes(), e.chunks(), ++clock));
        }
    }

    /** The packages (hex digests) the cache accounts for. */
    synchronized List<String> hexes() {
        return List.copyOf(entries.keySet());
    }

    synchronized long total() {
        return entries.values().stream().mapToLong(Entry::bytes).sum();
    }

    /** Chooses and forgets the packages to remove so that the total fits {@code limit}. */
    synchronized List<Victim> evict(long limit, Set<String> pinned) {
        long total = total();
        List<Victim> out = new ArrayList<>();
        if (total <= limit) {
            return out;
        }
        List<Map.Entry<String, Entry>> byAge = new ArrayList<>(entries.entrySet());
        byAge.sort(Comparator.comparingLong(e -> e.getValue().lastUse()));
        for (var e : byAge) {
            if (total <= limit) {
                break;
            }
            if (pinned.contains(e.getKey())) {
                continue;
            }
            entries.remove(e.getKey());
            total -= e.getValue().bytes();
            List<String> orphans = new ArrayList<>();
            for (String c : e.getValue().chunks()) {
                if (entries.values().stream().noneMatch(x -> x.chunks().contains(c))) {
                    orphans.add(c);
                }
            }
            out.add(new Victim(e.getKey(), orphans));
        }
        return out;
    }
}
