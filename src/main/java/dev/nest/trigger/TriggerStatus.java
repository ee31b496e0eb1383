package dev.nest.trigger;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;

/**
 * What the API shows of one trigger.
 *
 * @param name    its name within the function
 * @param type    its type
 * @param runsOn  where it runs ({@code leader}, {@code every-node}); empty when its type is unknown here
 * @param running whether a source of it runs on this node now
 * @param problem why it does not run where it should (unknown type, settings refused, start failed, fenced)
 * @param details the type's own view: a cron trigger's schedule, next and last fire times ...
 */
public record TriggerStatus(String name, String type, Optional<String> runsOn, boolean running,
                            Optional<String> problem, ObjectNode details) {
}
