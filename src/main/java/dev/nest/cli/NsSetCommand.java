package dev.nest.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.common.Json;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code nest ns set NAME [--max-instances N] [--max-memory 8Gi] [--rate 100/s [--burst 200]]}: changes the given
 * settings of a namespace (admin only) and keeps the others; {@code none} removes one. The server validates the
 * values and names the key at fault.
 */
@Command(name = "set", mixinStandardHelpOptions = true,
        description = {"Set a namespace's quotas and rate limit (admin); settings not given are kept, 'none' removes one.",
                "Example: nest ns set shop --max-instances 20 --max-memory 8Gi --rate 100/s --burst 200"})
final class NsSetCommand extends FnCommand.Base {
    @Parameters(index = "0", description = "the namespace")
    String name;
    @Option(names = "--max-instances", paramLabel = "N", description = "most instances across the region, or none")
    String maxInstances;
    @Option(names = "--max-memory", paramLabel = "SIZE", description = "most memory of its instances (e.g. 8Gi, 512Mi), or none")
    String maxMemory;
    @Option(names = "--rate", paramLabel = "RATE", description = "invocations per second, minute or hour: a whole count like 100/s, 600/m or 1000/h, or none")
    String rate;
    @Option(names = "--burst", paramLabel = "N", description = "invocations that may arrive at once (default: the rate's count, 600 for 600/m)")
    Integer burst;
    @Mixin
    Remote remote;

    @Override
    int execute() {
        if (maxInstances == null && maxMemory == null && rate == null && burst == null) {
            throw new CliException("nothing to set: give --max-instances, --max-memory, --rate or --burst");
        }
        body(Json.mapper().createObjectNode()); // refuses a bad option before any request
        ApiClient client = remote.client();
        String path = "/api/v1/namespaces/" + URLEncoder.encode(name, StandardCharsets.UTF_8);
        ObjectNode body = body(client.get(path));
        JsonNode r = client.put(path, body);
        out().println("Namespace '" + r.path("namespace").asText(name) + "': max instances "
                + NsCommand.value(r.at("/quota/instances")) + ", max memory " + NsCommand.value(r.at("/quota/memory"))
                + ", rate " + NsCommand.value(r.at("/limits/rate")) + ", burst " + NsCommand.value(r.at("/limits/burst")));
        return 0;
    }

    /** The current settings with the given options applied. */
    ObjectNode body(JsonNode current) {
        ObjectNode body = Json.mapper().createObjectNode();
        ObjectNode quota = body.putObject("quota");
        ObjectNode limits = body.putObject("limits");
        if (current.path("quota").isObject()) {
            quota.setAll((ObjectNode) current.get("quota"));
        }
        if (current.path("limits").isObject()) {
            limits.setAll((ObjectNode) current.get("limits"));
        }
        if (maxInstances != null) {
            if (none(maxInstances)) {
                quota.remove("instances");
            } else {
                try {
                    quota.put("instances", Integer.parseInt(maxInstances.strip()));
                } catch (NumberFormatException e) {
                    throw new CliException("--max-instances: '" + maxInstances + "' is not a whole number (or none)");
                }
            }
        }
        if (maxMemory != null) {
            if (none(maxMemory)) {
                quota.remove("memory");
            } else {
                quota.put("memory", maxMemory.strip());
            }
        }
        if (rate != null) {
            if (none(rate)) {
                limits.remove("rate");
                limits.remove("burst");
            } else {
                limits.put("rate", rate.strip());
                if (burst == null) {
                    limits.remove("burst"); // the new rate's own default, not the old rate's burst
                }
            }
        }
        if (burst != null) {
            limits.put("burst", burst);
        }
        return body;
    }

    private static boolean none(String v) {
        return v.strip().equalsIgnoreCase("none");
    }
}
