package dev.nest.function;

import java.util.List;

/**
 * A check of a whole spec that needs more than the spec itself (for triggers: the types this node knows, with
 * plugin types, and each type's own settings). The deployer runs it before a version is written.
 */
@FunctionalInterface
public interface SpecCheck {
    /** Accepts everything. */
    SpecCheck NONE = spec -> List.of();

    /** The problems of {@code spec}; empty when it passes. */
    List<SpecProblem> problems(FunctionSpec spec);
}
