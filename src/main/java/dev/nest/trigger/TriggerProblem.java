package dev.nest.trigger;

import java.util.Optional;

/**
 * Why a trigger, or a trigger type, does not work on this node, for {@code /health}.
 *
 * @param function the function ({@code namespace/name}); empty for a problem of a type (a provider that failed to load)
 * @param trigger  the trigger's name; empty for a problem of a type
 * @param type     the trigger's type, or the provider's class when it failed to load
 * @param problem  what is wrong and what happens next (e.g. the next start attempt)
 * @param failures how many times in a row its source failed to start or stopped by itself (0: it never started, e.g.
 *                 an unknown type)
 */
public record TriggerProblem(Optional<String> function, Optional<String> trigger, String type, String problem,
                             int failures) {
}
