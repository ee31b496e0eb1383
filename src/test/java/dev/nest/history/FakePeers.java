package dev.nest.history;

import dev.nest.common.Peer;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.common.Json;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/**
 * Peers in memory: each answers {@code ?scope=node} queries from its own {@link InMemoryLocalHistory} as the admin
 * API's routes do; a node can be made down (refuses) or hung (never answers).
 */
final class FakePeers implements PeerReader {
    final Map<String, InMemoryLocalHistory> nodes = new HashMap<>();
    final Map<String, String> state = new HashMap<>();
    final List<String> asked = new ArrayList<>();
    final CountDownLatch never = new CountDownLatch(1);
    java.time.Instant now = java.time.Instant.parse("2025-06-01T13:00:00Z");

    InMemoryLocalHistory node(String id) {
        return nodes.computeIfAbsent(id, i -> new InMemoryLocalHistory());
    }

    List<Peer> others(String self) {
        return nodes.keySet().stream().filter(n -> !n.equals(self)).sorted()
                .map(n -> new Peer(n, URI.create("http://" + n + ":1"))).toList();
    }

    @Override
    public Reply get(URI url) throws IOException {
        String node = url.getHost();
        synchronized (asked) {
            asked.add(node + url.getPath());
        }
        if ("down".equals(state.get(node))) {
            throw new IOException("connection refused");
        }
        if ("hung".equals(state.get(node))) {
            try {
                never.await();
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
        }
        Map<String, String> q = new HashMap<>();
        for (String kv : url.getRawQuery().split("&")) {
            int eq = kv.indexOf('=');
            q.put(kv.substring(0, eq), URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
        }
        RegionHistory h = RegionHistory.single(node, node(node));
        ObjectNode body = Json.mapper().createObjectNode();
        String path = url.getPath();
        if (path.startsWith("/api/v1/invocations/")) {
            String id = path.substring("/api/v1/invocations/".length());
            Optional<dev.nest.store.InvocationRecord> r = node(node).records.stream().filter(x -> x.id().equals(id)).findFirst();
            if (r.isEmpty()) {
                return new Reply(404, "{}".getBytes(StandardCharsets.UTF_8));
            }
            body.set("invocation", Json.mapper().valueToTree(r.get()));
            return new Reply(200, Json.bytes(body));
        }
        HistoryParams p = HistoryParams.parse(Optional.ofNullable(q.get("function")), n -> Optional.ofNullable(q.get(n)),
                now, 100, 5000);
        if (path.equals("/api/v1/invocations")) {
            var a = body.putArray("invocations");
            h.localInvocations(p).forEach(r -> a.add(HistoryJson.record(r)));
        } else if (q.containsKey("after")) {
            RegionHistory.Tail t = h.localTail(p, Long.parseLong(q.get("after")));
            var a = body.putArray("logs");
            t.lines().forEach(l -> a.add(HistoryJson.line(l)));
            body.put("last", t.last());
        } else {
            var a = body.putArray("logs");
            h.localLines(p).forEach(l -> a.add(HistoryJson.line(l)));
        }
        return new Reply(200, Json.bytes(body));
    }
}
