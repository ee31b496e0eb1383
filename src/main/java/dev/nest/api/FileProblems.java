package dev.nest.api;

import dev.nest.deploy.FileProblem;
import dev.nest.function.FunctionId;
import java.util.Collection;
import java.util.Optional;

/** The function files that failed to apply (the function-file watcher's problems in production). */
@FunctionalInterface
interface FileProblems {
    /** Current problems, one per broken file. */
    Collection<FileProblem> problems();

    /** The first problem of a file that defines {@code id}. */
    default Optional<FileProblem> problem(FunctionId id) {
        return problems().stream()
                .filter(p -> p.name().equals(id.name()) && p.namespace().equals(id.namespace())).findFirst();
    }
}
