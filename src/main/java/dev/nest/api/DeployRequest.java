package dev.nest.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.common.Json;
import dev.nest.common.NestException;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionSpec;
import dev.nest.function.SpecParser;
import io.helidon.webserver.http.ServerRequest;
import java.util.Optional;

/**
 * The body of a create, update or new version: {@code {"spec": {...}, "digest": "..."}}, or a bare spec with a
 * {@code digest} key; a new version may say {@code "promote": false} to leave the alias {@code live} where it is
 * (for a release to start from it). A spec error is a 400 that names the key.
 */
record DeployRequest(FunctionSpec spec, Optional<String> digest, boolean promote) {
    /**
     * Reads the request; {@code path} is the function the URL names (the spec's name must then match it or be
     * absent, and its namespace defaults to the URL's).
     */
    static DeployRequest read(ServerRequest req, Optional<FunctionId> path) {
        JsonNode doc = Json.tree(Requests.body(req), "request body");
        if (!doc.isObject()) {
            throw NestException.badRequest("the request body must be a JSON object with 'spec' and 'digest'");
        }
        Optional<String> digest = Optional.ofNullable(doc.get("digest")).map(JsonNode::asText);
        JsonNode promoteNode = doc.path("promote");
        if (!promoteNode.isMissingNode() && !promoteNode.isBoolean()) {
            throw NestException.badRequest("key 'promote': value '" + promoteNode + "' is not valid; allowed: true or false");
        }
        boolean promote = promoteNode.asBoolean(true);
        JsonNode specNode = doc.has("spec") ? doc.get("spec") : ((ObjectNode) doc.deepCopy()).without(java.util.List.of("digest", "promote"));
        if (path.isPresent() && specNode.isObject()) {
            ObjectNode s = (ObjectNode) specNode;
            String given = s.path("name").asText(path.get().name());
            if (!given.equals(path.get().name())) {
                throw NestException.badRequest("key 'spec.name': value '" + given + "' does not match the function in the path ('"
                        + path.get().name() + "'); leave it out or make them equal");
            }
            s.put("name", path.get().name());
            if (!s.has("namespace")) {
                s.put("namespace", path.get().namespace());
            }
        }
        FunctionSpec spec = SpecParser.parse(specNode, "request body 'spec'", "", SpecParser.Defaults.STANDARD).spec();
        return new DeployRequest(spec, digest, promote);
    }

    /** The digest, which a create and a new version need. */
    String requireDigest() {
        return digest.orElseThrow(() -> NestException.badRequest("key 'digest': required: the digest returned by "
                + "POST /api/v1/artifacts for the function's code package"));
    }
}
