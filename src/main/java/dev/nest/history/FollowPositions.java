package dev.nest.history;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Where a follower is in each node's lines: node id to the sequence number of the last line it was sent. Written as
 * an SSE event id (base64url of {@code node=seq&...}), so a client that reconnects with {@code Last-Event-ID} goes
 * on where it stopped on every node. A node missing from it (it joined later) is read from its start of the
 * follow ({@code since}) or from now. Immutable.
 */
public record FollowPositions(Map<String, Long> seqs) {
    private static final int MAX_NODES = 1_000;

    public FollowPositions {
        seqs = Map.copyOf(seqs);
    }

    public static FollowPositions none() {
        return new FollowPositions(Map.of());
    }

    public Optional<Long> of(String node) {
        return Optional.ofNullable(seqs.get(node));
    }

    public FollowPositions with(String node, long seq) {
        Map<String, Long> m = new TreeMap<>(seqs);
        m.put(node, seq);
        return new FollowPositions(m);
    }

    /** The event id. */
    public String id() {
        StringBuilder sb = new StringBuilder();
        new TreeMap<>(seqs).forEach((n, s) -> sb.append(sb.isEmpty() ? "" : "&")
                .append(URLEncoder.encode(n, StandardCharsets.UTF_8)).append('=').append(s));
        return Base64.getUrlEncoder().withoutPadding().encodeToString(sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Reads a {@code Last-Event-ID}.
     *
     * @throws HistoryException when it is not an id this API sent
     */
    public static FollowPositions parse(String id) {
        HistoryException bad = new HistoryException("header 'Last-Event-ID': value '" + HistoryParams.shown(id)
                + "' is not valid; allowed: the id of an event this stream sent, unchanged");
        if (id.isEmpty()) {
            return none();
        }
        if (id.length() > 64 * 1024) {
            throw bad;
        }
        String text;
        try {
            text = new String(Base64.getUrlDecoder().decode(id), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw bad;
        }
        Map<String, Long> m = new TreeMap<>();
        for (String part : text.isEmpty() ? new String[0] : text.split("&")) {
            int eq = part.lastIndexOf('=');
            if (eq <= 0 || !part.substring(eq + 1).matches("\\d{1,19}") || m.size() >= MAX_NODES) {
                throw bad;
            }
            try {
                m.put(URLDecoder.decode(part.substring(0, eq), StandardCharsets.UTF_8),
                        Long.parseLong(part.substring(eq + 1)));
            } catch (IllegalArgumentException e) {
                throw bad;
            }
        }
        return new FollowPositions(m);
    }
}
