package dev.nest.api;

import static dev.nest.api.AdminRoutes.PREFIX;

import dev.nest.runtime.RuntimeDefinition;
import dev.nest.runtime.RuntimeRegistry;
import io.helidon.webserver.http.HttpRouting;
import java.util.List;
import java.util.Map;

/** {@code /api/v1/runtimes}: the installed runtimes and the runtime definitions that failed to load. */
record RuntimeRoutes(RuntimeRegistry runtimes) implements ResourceRoutes {
    /** {@code GET /runtimes}. */
    record Runtimes(List<Runtime> runtimes, Map<String, String> problems) {
    }

    /** One installed runtime. */
    record Runtime(String name, String image, int memory, String defaultHandler) {
        static Runtime of(RuntimeDefinition r) {
            return new Runtime(r.name(), r.image(), r.memoryMb(), r.defaultHandler());
        }
    }

    @Override
    public String resource() {
        return "runtimes";
    }

    @Override
    public void routing(HttpRouting.Builder r) {
        r.get(PREFIX + "/runtimes", (req, res) -> Errors.json(res, 200,
                new Runtimes(runtimes.all().stream().map(Runtime::of).toList(), runtimes.problems())));
    }
}
