package dev.nest.history;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.common.Json;
import dev.nest.store.InvocationRecord;
import dev.nest.store.LogLine;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The JSON of records and lines, as the API answers them and as peers read each other's answers: a record's or
 * line's own fields, unchanged, plus {@code node} (and a line's {@code seq}).
 */
public final class HistoryJson {
    private HistoryJson() {
    }

    public static ObjectNode record(NodeRecord r) {
        ObjectNode o = Json.mapper().valueToTree(r.record());
        o.put("node", r.node());
        return o;
    }

    public static ObjectNode line(NodeLine l) {
        ObjectNode o = Json.mapper().valueToTree(l.line());
        o.put("node", l.node());
        o.put("seq", l.seq());
        return o;
    }

    /**
     * A line as a follower's event carries it: {@code at}, {@code function}, {@code version}, {@code invocation},
     * {@code stream} ({@code stderr} for error and warning lines, else {@code stdout}), {@code line}, {@code node},
     * and {@code level}.
     */
    public static ObjectNode event(NodeLine l) {
        ObjectNode o = Json.mapper().createObjectNode();
        LogLine line = l.line();
        o.put("at", line.at().toString());
        o.put("function", line.function());
        o.put("version", line.version());
        o.put("invocation", line.invocationId());
        o.put("stream", line.level().equals("error") || line.level().equals("warn") ? "stderr" : "stdout");
        o.put("line", line.text());
        o.put("node", l.node());
        o.put("level", line.level());
        return o;
    }

    static List<NodeRecord> records(String node, JsonNode array) throws java.io.IOException {
        List<NodeRecord> out = new ArrayList<>();
        for (JsonNode r : array) {
            out.add(new NodeRecord(node, Json.mapper().treeToValue(r, InvocationRecord.class)));
        }
        return out;
    }

    static List<NodeLine> lines(String node, JsonNode array) {
        List<NodeLine> out = new ArrayList<>();
        for (JsonNode l : array) {
            out.add(new NodeLine(node, l.path("seq").asLong(), new LogLine(Instant.parse(l.path("at").asText()),
                    l.path("function").asText(), l.path("version").asInt(), l.path("invocationId").asText(),
                    l.path("instance").asText(), l.path("level").asText(), l.path("text").asText())));
        }
        return out;
    }
}
