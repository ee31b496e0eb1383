package dev.nest.function;

import dev.nest.common.NestException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A function's desired state: its versions, which one is live, its aliases and its canary release. Immutable; the
 * {@code with...} methods are the only ways the state changes (deploy, rollback, aliases, release steps), as pure
 * functions.
 *
 * <p>{@code live} and the alias {@code live} agree: the alias is {@code {live: 100}} unless traffic is split, and
 * when it is split {@code live} is the version with the largest share (of equal shares, the one that was live).
 * A record stored before aliases existed has none but {@code live}.
 *
 * @param id          the function
 * @param live        the live version, 0 while there is none
 * @param liveHistory earlier live versions, oldest first (a rollback without a target returns to the last)
 * @param versions    every version by number
 * @param origin      {@code api} or {@code file:<path>} for functions defined in config files
 * @param createdAt   first deploy
 * @param updatedAt   last change
 * @param aliases     every alias by name, {@code live} included once there is a live version
 * @param release     the canary release, running or finished (the last one is kept until the next starts)
 */
public record FunctionRecord(FunctionId id, int live, List<Integer> liveHistory,
                             SortedMap<Integer, FunctionVersion> versions, String origin,
                             Instant createdAt, Instant updatedAt, SortedMap<String, Alias> aliases,
                             Optional<Release> release) {
    public static final int MAX_HISTORY = 50;
    /** The most aliases a function may have, {@code live} included. */
    public static final int MAX_ALIASES = 32;

    public FunctionRecord {
        liveHistory = List.copyOf(liveHistory);
        versions = Collections.unmodifiableSortedMap(new TreeMap<>(versions));
        TreeMap<String, Alias> a = new TreeMap<>(aliases);
        Alias liveAlias = a.get(Alias.LIVE);
        if (live <= 0) {
            a.remove(Alias.LIVE);
        } else if (liveAlias == null || liveAlias.weight(live) == 0) {
            a.put(Alias.LIVE, liveAlias == null ? Alias.single(live) : Alias.single(live).withSticky(liveAlias.sticky()));
        }
        aliases = Collections.unmodifiableSortedMap(a);
        release = release == null ? Optional.empty() : release;
    }

    /** A record without aliases but {@code live} and without a release (as stored before either existed). */
    public FunctionRecord(FunctionId id, int live, List<Integer> liveHistory, SortedMap<Integer, FunctionVersion> versions,
                          String origin, Instant createdAt, Instant updatedAt) {
        this(id, live, liveHistory, versions, origin, createdAt, updatedAt, new TreeMap<>(), Optional.empty());
    }

    public static FunctionRecord empty(FunctionId id, String origin, Instant now) {
        return new FunctionRecord(id, 0, List.of(), new TreeMap<>(), origin, now, now);
    }

    public Optional<Alias> alias(String name) {
        return Optional.ofNullable(aliases.get(name));
    }

    /** The versions some alias sends traffic to (weight above 0). */
    public Set<Integer> routedVersions() {
        Set<Integer> out = new TreeSet<>();
        aliases.values().forEach(a -> out.addAll(a.weights().keySet()));
        return out;
    }

    /** Whether a release is running or paused. */
    public boolean releasing() {
        return release.isPresent() && release.get().state().active();
    }

    /**
     * Sets alias {@code name} to {@code alias} (the API's {@code PUT}); {@code live} moves to the alias {@code live}'s
     * largest share.
     *
     * @throws NestException 400 for a version the function lacks or too many aliases, 409 for {@code live} while a
     *                       release runs
     */
    public FunctionRecord withAlias(String name, Alias alias, Instant now) {
        Alias.requireName(name);
        for (int v : alias.weights().keySet()) {
            if (!versions.containsKey(v)) {
                throw NestException.badRequest("alias '" + name + "' names version " + v + ", which function " + id
                        + " does not have; its versions are " + versions.keySet());
            }
        }
        if (!aliases.containsKey(name) && aliases.size() >= MAX_ALIASES) {
            throw NestException.badRequest("function " + id + " has " + aliases.size() + " aliases, the most allowed;"
                    + " delete one first");
        }
        if (name.equals(Alias.LIVE)) {
            if (releasing()) {
                throw NestException.conflict("a release of function " + id + " to version " + release.get().to()
                        + " is " + release.get().state().label() + "; abort it before you set the alias live");
            }
            return withLive(alias, release, now);
        }
        TreeMap<String, Alias> a = new TreeMap<>(aliases);
        a.put(name, alias);
        return new FunctionRecord(id, live, liveHistory, versions, origin, createdAt, now, a, release);
    }

    /**
     * Removes alias {@code name}; returns this record when there is none.
     *
     * @throws NestException 409 for {@code live}
     */
    public FunctionRecord withoutAlias(String name, Instant now) {
        if (name.equals(Alias.LIVE)) {
            throw NestException.conflict("the alias live cannot be deleted: it is what /fn/" + id.name()
                    + " serves; point it elsewhere with PUT, or roll back");
        }
        if (!aliases.containsKey(name)) {
            return this;
        }
        TreeMap<String, Alias> a = new TreeMap<>(aliases);
        a.remove(name);
        return new FunctionRecord(id, live, liveHistory, versions, origin, createdAt, now, a, release);
    }

    /**
     * A release's change in one write: its new state and the alias {@code live} it wants (no checks: the release
     * controller checked).
     */
    public FunctionRecord withRelease(Release r, Instant now) {
        Optional<Alias.Sticky> sticky = alias(Alias.LIVE).flatMap(Alias::sticky);
        return withLive(r.wanted(sticky), Optional.of(r), now);
    }

    private FunctionRecord withLive(Alias a, Optional<Release> r, Instant now) {
        int next = a.weight(live) > 0 && a.weight(live) >= a.weight(a.primary()) ? live : a.primary();
        List<Integer> history = next == live ? liveHistory : pushHistory(live);
        TreeMap<String, Alias> all = new TreeMap<>(aliases);
        all.put(Alias.LIVE, a);
        return new FunctionRecord(id, next, history, versions, origin, createdAt, now, all, r);
    }

    public Optional<FunctionVersion> liveVersion() {
        return Optional.ofNullable(versions.get(live));
    }

    public Optional<FunctionVersion> version(int v) {
        return Optional.ofNullable(versions.get(v));
    }

    public int latest() {
        return versions.isEmpty() ? 0 : versions.lastKey();
    }

    /** Adds a version with the next number and, if {@code makeLive}, points {@code live} at it. */
    public FunctionRecord withNewVersion(String digest, FunctionSpec spec, String source, Instant now, boolean makeLive) {
        int next = latest() + 1;
        SortedMap<Integer, FunctionVersion> v = new TreeMap<>(versions);
        v.put(next, new FunctionVersion(next, digest, spec.withId(id), now, source));
        if (makeLive && releasing()) {
            throw NestException.conflict("a release of function " + id + " to version " + release.get().to() + " is "
                    + release.get().state().label() + "; abort it first, or deploy without promoting (\"promote\": false,"
                    + " nest fn deploy --no-promote)");
        }
        List<Integer> history = makeLive ? pushHistory(live) : liveHistory;
        TreeMap<String, Alias> a = new TreeMap<>(aliases);
        if (makeLive) {
            a.put(Alias.LIVE, Alias.single(next).withSticky(alias(Alias.LIVE).flatMap(Alias::sticky)));
        }
        return new FunctionRecord(id, makeLive ? next : live, history, v, origin, createdAt, now, a, release);
    }

    /**
     * Points {@code live} at {@code target}, or at the previously live version when {@code target} is empty: all of
     * the alias {@code live}'s traffic goes there, and a running or paused release ends rolled back.
     *
     * @throws NestException 404 for an unknown version, 409 when there is nothing to roll back to
     */
    public FunctionRecord rolledBack(Optional<Integer> target, Instant now) {
        int to;
        List<Integer> history = new ArrayList<>(liveHistory);
        if (target.isPresent()) {
            to = target.get();
            if (!versions.containsKey(to)) {
                throw NestException.notFound("version", "function " + id + " has no version " + to
                        + "; its versions are " + versions.keySet());
            }
            history = pushHistory(live);
        } else {
            while (!history.isEmpty() && (history.getLast() == live || !versions.containsKey(history.getLast()))) {
                history.removeLast();
            }
            if (history.isEmpty()) {
                throw NestException.conflict("function " + id + " has no earlier live version to roll back to;"
                        + " name one with --to (versions: " + versions.keySet() + ")");
            }
            to = history.removeLast();
        }
        TreeMap<String, Alias> a = new TreeMap<>(aliases);
        a.put(Alias.LIVE, Alias.single(to).withSticky(alias(Alias.LIVE).flatMap(Alias::sticky)));
        Optional<Release> r = releasing()
                ? Optional.of(release.get().with(Release.State.ROLLED_BACK, "rolled back by hand to version " + to, now))
                : release;
        return new FunctionRecord(id, to, history, versions, origin, createdAt, now, a, r);
    }

    public FunctionRecord withOrigin(String newOrigin) {
        return new FunctionRecord(id, live, liveHistory, versions, newOrigin, createdAt, updatedAt, aliases, release);
    }

    /** The same record with other versions (a view that adjusts specs); aliases and release kept. */
    public FunctionRecord withVersions(Map<Integer, FunctionVersion> v) {
        return new FunctionRecord(id, live, liveHistory, new TreeMap<>(v), origin, createdAt, updatedAt, aliases, release);
    }

    private List<Integer> pushHistory(int previous) {
        List<Integer> h = new ArrayList<>(liveHistory);
        if (previous > 0) {
            h.add(previous);
        }
        while (h.size() > MAX_HISTORY) {
            h.removeFirst();
        }
        return h;
    }
}
