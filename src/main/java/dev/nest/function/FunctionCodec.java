package dev.nest.function;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The stored JSON form of {@link FunctionRecord} and {@link FunctionVersion} (ZooKeeper and the API). */
public final class FunctionCodec {
    private FunctionCodec() {
    }

    public static ObjectNode writeVersion(FunctionVersion v) {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("version", v.version());
        n.put("digest", v.digest());
        n.put("createdAt", v.createdAt().toString());
        n.put("source", v.source());
        n.set("spec", SpecParser.write(v.spec()));
        return n;
    }

    public static FunctionVersion readVersion(JsonNode n) {
        FunctionSpec spec = SpecParser.parse(n.get("spec"), "stored version", "", SpecParser.Defaults.STANDARD).spec();
        return new FunctionVersion(n.get("version").asInt(), n.get("digest").asText(), spec,
                Instant.parse(n.get("createdAt").asText()), n.path("source").asText("api"));
    }

    /** The record without its versions (those are stored one per node). */
    public static ObjectNode writeHead(FunctionRecord r) {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("namespace", r.id().namespace());
        n.put("name", r.id().name());
        n.put("live", r.live());
        ArrayNode h = n.putArray("liveHistory");
        r.liveHistory().forEach(h::add);
        n.put("origin", r.origin());
        n.put("createdAt", r.createdAt().toString());
        n.put("updatedAt", r.updatedAt().toString());
        AliasCodec.writeAliases(n, r.aliases());
        AliasCodec.writeRelease(n, r.release());
        return n;
    }

    /** A head without {@code aliases} (written before they existed) has only the alias {@code live}. */
    public static FunctionRecord readHead(JsonNode n, Map<Integer, FunctionVersion> versions) {
        List<Integer> history = new ArrayList<>();
        n.path("liveHistory").forEach(x -> history.add(x.asInt()));
        FunctionId id = FunctionId.of(n.get("namespace").asText(), n.get("name").asText());
        return new FunctionRecord(id, n.path("live").asInt(0), history, new TreeMap<>(versions), n.path("origin").asText("api"),
                Instant.parse(n.get("createdAt").asText()), Instant.parse(n.get("updatedAt").asText()),
                AliasCodec.readAliases(n, id.toString()), AliasCodec.readRelease(n, id.toString()));
    }
}
