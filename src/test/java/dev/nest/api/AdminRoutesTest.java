package dev.nest.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin router registers exactly the routes of {@link AdminRoutes#table()}, each in its resource's class. */
class AdminRoutesTest {
    @TempDir
    Path dir;
    private AdminApiFixture fixture;

    @BeforeEach
    void build() {
        fixture = new AdminApiFixture(dir);
    }

    @AfterEach
    void close() {
        fixture.close();
    }

    private static List<String> rows(List<Route> routes) {
        return routes.stream().map(r -> r.method() + " " + r.path()).toList();
    }

    @Test
    void theAdminRouterRegistersExactlyTheTableInItsOrder() {
        RecordingRouting routing = new RecordingRouting();
        fixture.api.routing(routing.builder());
        assertEquals(rows(AdminRoutes.table()), routing.routes(),
                "a route was added, removed or moved: update AdminRoutes.table() (authorization and the API docs read it)");
    }

    @Test
    void eachRouteClassRegistersTheRowsOfItsResource() {
        Set<String> resources = new HashSet<>();
        for (ResourceRoutes resource : fixture.api.resources()) {
            RecordingRouting routing = new RecordingRouting();
            resource.routing(routing.builder());
            List<Route> expected = AdminRoutes.table().stream().filter(r -> r.resource().equals(resource.resource())).toList();
            assertEquals(rows(expected), routing.routes(), resource.getClass().getSimpleName());
            resources.add(resource.resource());
        }
        assertEquals(AdminRoutes.table().stream().map(Route::resource).collect(java.util.stream.Collectors.toSet()),
                resources, "every resource of the table has a route class");
    }

    @Test
    void getAndHeadReadAndEveryOtherMethodWrites() {
        for (Route r : AdminRoutes.table()) {
            Route.Access expected = Set.of("GET", "HEAD", "ANY").contains(r.method()) ? Route.Access.READ : Route.Access.WRITE;
            assertEquals(expected, r.access(), r.method() + " " + r.path());
        }
    }

    @Test
    void aRouteThatWritesNeedsDeployOrAdminAndOnlyTheHealthProbesAndTheConsoleAreOpen() {
        Set<String> open = Set.of("GET /health", "GET /health/ready", "GET /", "GET /console", "GET /console/*");
        for (Route r : AdminRoutes.table()) {
            String row = r.method() + " " + r.path();
            if (r.access() == Route.Access.WRITE) {
                assertTrue(Set.of(dev.nest.auth.Action.DEPLOY, dev.nest.auth.Action.ADMIN)
                        .contains(r.requirement().action().orElseThrow()), row);
            }
            assertEquals(open.contains(row), r.requirement().open(), row);
        }
    }

    @Test
    void theCatchAllsComeLast() {
        List<Route> table = AdminRoutes.table();
        assertEquals(List.of("ANY /api/v1/*", "ANY /*"), rows(table.subList(table.size() - 2, table.size())));
        assertEquals(table.size(), new HashSet<>(rows(table)).size(), "a route is listed twice");
    }
}
