package dev.nest.history;

import dev.nest.common.Peer;
import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.common.InvocationIds;
import dev.nest.common.Json;
import dev.nest.store.LogQuery;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The region's invocation records and log lines, answered by any node: this node reads its own store and asks every
 * other live node for its part ({@code ?scope=node} on the same routes, with the cluster's peer credential), then
 * merges by time.
 *
 * <p>Failure: each peer gets {@code timeout} to answer; one that fails, answers an error or is late is left out and
 * named in the answer's {@code unreachable} list (the page is {@code partial}); nothing waits longer and nothing
 * fails because a node is down. A page's {@code next} cursor continues where it ended on every node; an invocation
 * id names the node that made it ({@link InvocationIds#tagOf}), which is asked first when looking one up, the others
 * after (ids that name no live node, older ids among them, are looked up everywhere).
 *
 * <p>Limits: each node sends at most {@code limit} items per page; a follower's poll reads at most
 * {@link #FOLLOW_BATCH} lines per node. Thread-safe; peers are asked on virtual threads; {@link #close} stops them.
 */
public final class RegionHistory implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(RegionHistory.class.getName());
    /** Lines per node per follower poll. */
    public static final int FOLLOW_BATCH = 500;

    private final String self;
    private final LocalHistory local;
    private final Supplier<List<Peer>> peers;
    private final PeerReader reader;
    private final Duration timeout;
    private final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();

    /**
     * @param self    this node's id
     * @param local   this node's store
     * @param peers   the other live nodes (from the cluster's membership, read at each call)
     * @param reader  how a peer is asked ({@link PeerReader#http} in production)
     * @param timeout how long each peer has to answer
     */
    public RegionHistory(String self, LocalHistory local, Supplier<List<Peer>> peers, PeerReader reader,
                         Duration timeout) {
        this.self = self;
        this.local = local;
        this.peers = peers;
        this.reader = reader;
        this.timeout = timeout;
    }

    /** A history of this node alone (no peers). */
    public static RegionHistory single(String self, LocalHistory local) {
        return new RegionHistory(self, local, List::of, url -> {
            throw new IOException("no peers");
        }, Duration.ofSeconds(1));
    }

    public String self() {
        return self;
    }

    // ---- this node's part -----------------------------------------------------------------------------------

    /** This node's records, newest first. */
    public List<NodeRecord> localInvocations(HistoryParams p) {
        return local.invocations(p.invocations()).stream().map(r -> new NodeRecord(self, r)).toList();
    }

    /** This node's lines, newest first. */
    public List<NodeLine> localLines(HistoryParams p) {
        return local.lines(new LogQuery(p.function(), p.invocation(), p.since(), p.until(),
                        p.cursor().map(c -> Cursors.lines(c, self)), Optional.empty(), p.limit()))
                .stream().map(l -> new NodeLine(self, l.seq(), l.line())).toList();
    }

    /**
     * This node's lines after {@code after}, oldest first, and the position to go on from; {@code after} -1 means
     * from now (no lines, the newest line's position).
     */
    public Tail localTail(HistoryParams p, long after) {
        if (after < 0) {
            return new Tail(List.of(), local.lastLineSeq());
        }
        List<NodeLine> lines = local.lines(new LogQuery(p.function(), p.invocation(), p.since(), p.until(),
                Optional.empty(), Optional.of(after), FOLLOW_BATCH)).stream()
                .map(l -> new NodeLine(self, l.seq(), l.line())).toList();
        return new Tail(lines, lines.isEmpty() ? after : lines.getLast().seq());
    }

    /**
     * A node's new lines.
     *
     * @param lines oldest first
     * @param last  the position after them
     */
    public record Tail(List<NodeLine> lines, long last) {
    }

    // ---- the region -----------------------------------------------------------------------------------------

    /** The region's records, newest first, at most {@code limit}. */
    public Page<NodeRecord> invocations(HistoryParams p) {
        List<String> unreachable = new ArrayList<>();
        List<NodeRecord> all = new ArrayList<>(localInvocations(p));
        fanOut(peers.get(), peer -> url(peer, "/api/v1/invocations", p.forward()),
                (peer, json) -> HistoryJson.records(peer.id(), json.path("invocations")), unreachable)
                .values().forEach(all::addAll);
        Set<String> seen = new HashSet<>();
        List<NodeRecord> page = all.stream()
                .sorted(Comparator.comparing(NodeRecord::record, dev.nest.store.InvocationQuery.NEWEST_FIRST))
                .filter(r -> seen.add(r.record().id())).limit(p.limit()).toList();
        Optional<String> next = page.size() < p.limit() ? Optional.empty()
                : Optional.of(Cursors.of(dev.nest.store.InvocationQuery.Position.of(page.getLast().record())));
        return new Page<>(page, next, unreachable);
    }

    /** The region's lines, newest first, at most {@code limit}. */
    public Page<NodeLine> lines(HistoryParams p) {
        List<String> unreachable = new ArrayList<>();
        List<NodeLine> all = new ArrayList<>(localLines(p));
        fanOut(peers.get(), peer -> url(peer, "/api/v1/logs", p.forward()),
                (peer, json) -> HistoryJson.lines(peer.id(), json.path("logs")), unreachable)
                .values().forEach(all::addAll);
        List<NodeLine> page = all.stream().sorted(NodeLine.NEWEST_FIRST).limit(p.limit()).toList();
        Optional<String> next = page.size() < p.limit() ? Optional.empty() : Optional.of(Cursors.of(page.getLast()));
        return new Page<>(page, next, unreachable);
    }

    /**
     * An invocation another node holds: that node's whole answer to {@code GET /api/v1/invocations/{id}}.
     *
     * @param node        the node that answered, empty when none did
     * @param answer      its answer's JSON
     * @param unreachable the nodes that did not answer
     */
    public record Found(Optional<String> node, Optional<JsonNode> answer, List<String> unreachable) {
    }

    /** Asks the other nodes for invocation {@code id}: the node its id names first, then the others. */
    public Found find(String id) {
        List<Peer> others = peers.get();
        List<String> unreachable = new ArrayList<>();
        Optional<String> tag = InvocationIds.tagOf(id);
        List<Peer> named = others.stream().filter(p -> tag.equals(Optional.of(InvocationIds.tag(p.id())))).toList();
        List<Peer> rest = others.stream().filter(p -> !named.contains(p)).toList();
        for (List<Peer> round : List.of(named, rest)) {
            Map<Peer, Optional<JsonNode>> answers = fanOut(round,
                    peer -> url(peer, "/api/v1/invocations/" + URLEncoder.encode(id, StandardCharsets.UTF_8),
                            Map.of()), (peer, json) -> Optional.of(json), unreachable, 404);
            for (Map.Entry<Peer, Optional<JsonNode>> e : answers.entrySet()) {
                if (e.getValue().isPresent()) {
                    return new Found(Optional.of(e.getKey().id()), e.getValue(), unreachable);
                }
            }
        }
        return new Found(Optional.empty(), Optional.empty(), unreachable);
    }

    /**
     * One poll of a follower: every node's lines after its position, merged oldest first by time.
     *
     * @param start the positions before the lines (with the ones resolved "from now" for nodes new to the follower)
     * @param lines the lines, oldest first
     * @param end   the positions after them
     */
    public record Poll(FollowPositions start, List<NodeLine> lines, FollowPositions end, List<String> unreachable) {
    }

    /** Reads what is new since {@code from} on every live node. */
    public Poll follow(HistoryParams p, FollowPositions from) {
        long fresh = p.since().isPresent() ? 0 : -1;
        List<String> unreachable = new ArrayList<>();
        Map<String, Tail> tails = new LinkedHashMap<>();
        tails.put(self, localTail(p, from.of(self).orElse(fresh)));
        Map<Peer, Tail> remote = fanOut(peers.get(), peer -> {
            Map<String, String> q = new LinkedHashMap<>(p.forward());
            q.remove("cursor");
            q.remove("limit");
            q.put("after", String.valueOf(from.of(peer.id()).orElse(fresh)));
            return url(peer, "/api/v1/logs", q);
        }, (peer, json) -> new Tail(HistoryJson.lines(peer.id(), json.path("logs")), json.path("last").asLong()),
                unreachable);
        remote.forEach((peer, tail) -> tails.put(peer.id(), tail));
        FollowPositions start = from;
        FollowPositions end = from;
        List<NodeLine> lines = new ArrayList<>();
        for (Map.Entry<String, Tail> e : tails.entrySet()) {
            Tail t = e.getValue();
            if (from.of(e.getKey()).isEmpty()) {
                start = start.with(e.getKey(), t.lines().isEmpty() ? t.last() : Math.max(0, fresh));
            }
            end = end.with(e.getKey(), t.last());
            lines.addAll(t.lines());
        }
        lines.sort(NodeLine.NEWEST_FIRST.reversed());
        return new Poll(start, lines, end, unreachable);
    }

    // ---- asking peers -----------------------------------------------------------------------------------------

    @FunctionalInterface
    private interface Parser<T> {
        T parse(Peer peer, JsonNode json) throws IOException;
    }

    private <T> Map<Peer, T> fanOut(List<Peer> targets, java.util.function.Function<Peer, URI> url, Parser<T> parser,
                                    List<String> unreachable) {
        return fanOut(targets, url, parser, unreachable, -1);
    }

    /** Asks every target at once; an answer with status {@code absent} counts as answered with nothing. */
    private <T> Map<Peer, T> fanOut(List<Peer> targets, java.util.function.Function<Peer, URI> url, Parser<T> parser,
                                    List<String> unreachable, int absent) {
        Map<Peer, CompletableFuture<Optional<T>>> calls = new LinkedHashMap<>();
        for (Peer peer : targets) {
            if (peer.id().equals(self)) {
                continue;
            }
            calls.put(peer, CompletableFuture.supplyAsync(() -> {
                try {
                    PeerReader.Reply r = reader.get(url.apply(peer));
                    if (r.status() == absent) {
                        return Optional.<T>empty();
                    }
                    if (r.status() != 200) {
                        throw new IOException("answered " + r.status() + ": "
                                + new String(r.body(), 0, Math.min(r.body().length, 200), StandardCharsets.UTF_8));
                    }
                    return Optional.of(parser.parse(peer, Json.mapper().readTree(r.body())));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, pool).orTimeout(timeout.toMillis() + 250, TimeUnit.MILLISECONDS));
        }
        Map<Peer, T> out = new LinkedHashMap<>();
        calls.forEach((peer, call) -> {
            try {
                call.join().ifPresent(v -> out.put(peer, v));
            } catch (RuntimeException e) {
                unreachable.add(peer.id());
                LOG.log(Level.FINE, "node " + peer.id() + " did not answer a history query", e);
            }
        });
        return out;
    }

    private static URI url(Peer peer, String path, Map<String, String> query) {
        StringBuilder sb = new StringBuilder(path).append("?scope=node");
        query.forEach((k, v) -> sb.append('&').append(k).append('=').append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
        return peer.url().resolve(sb.toString());
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
