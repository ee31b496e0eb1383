package dev.nest.function;

import dev.nest.common.NestException;
import java.util.List;
import java.util.stream.Collectors;

/** A spec that cannot be accepted; lists every problem found, each naming the key, value and allowed range. */
public final class SpecException extends NestException {
    private final String source;
    private final List<SpecProblem> problems;

    public SpecException(String source, List<SpecProblem> problems) {
        super(400, "invalid function spec", source + ": " + problems.stream().map(SpecProblem::toString)
                .collect(Collectors.joining("; ")));
        this.source = source;
        this.problems = List.copyOf(problems);
    }

    public String source() {
        return source;
    }

    public List<SpecProblem> problems() {
        return problems;
    }
}
