package dev.nest.release;

import dev.nest.common.NestException;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionRegistry;
import java.nio.file.Path;
import java.util.Optional;

/** The checks every alias and release write makes first: the function exists and the API may change it. */
final class Ownership {
    private static final String FILE = "file:";

    private Ownership() {
    }

    /**
     * The function, when the API may change it.
     *
     * @throws NestException 404 when there is none, 409 when a file in the functions directory defines it (the file
     *                       alone changes it, as for deploys; aliases and releases of such functions are not offered)
     */
    static FunctionRecord require(FunctionRegistry registry, FunctionId id, String action) {
        FunctionRecord r = registry.get(id).filter(x -> !x.versions().isEmpty()).orElseThrow(() -> NestException.notFound(
                "function", "no function " + id + " is deployed"));
        check(r, action);
        return r;
    }

    static void check(FunctionRecord r, String action) {
        if (r.origin().startsWith(FILE)) {
            String file = Optional.ofNullable(Path.of(r.origin().substring(FILE.length())).getFileName())
                    .map(Path::toString).orElse(r.origin());
            throw NestException.conflict("function " + r.id() + " is defined by the file " + file + " in the functions "
                    + "directory; the API cannot " + action + " for it: edit that file (or remove it to manage the "
                    + "function through the API)");
        }
    }
}
