package dev.nest.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nest.auth.Action;
import dev.nest.auth.Requirement.Kind;
import dev.nest.auth.RouteAccess.Access;
import dev.nest.auth.RouteAccess.Duty;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What each request needs, as the table of the admin routes says: a pure function of method, path and query. */
class RouteAccessTest {

    /**
     * Query strings are written a=b&c=d; the action is OPEN for an open route and TOKEN for any valid token; an
     * empty namespace is none; peer says whether the cluster's peer credential is accepted.
     */
    @ParameterizedTest(name = "{0} {1}?{2} -> {3} {4} {5} {6}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            "GET    | /health                           | -                      | OPEN   | -       | NONE   | false",
            "GET    | /health/ready                     | -                      | OPEN   | -       | NONE   | false",
            "GET    | /metrics                          | -                      | READ   | -       | NONE   | false",
            "GET    | /api/v1/functions                 | -                      | READ   | -       | FILTER | false",
            "GET    | /api/v1/functions                 | namespace=shop         | READ   | shop    | NONE   | false",
            "POST   | /api/v1/functions                 | -                      | DEPLOY | -       | CHECK  | false",
            "GET    | /api/v1/functions/cart            | -                      | READ   | default | NONE   | false",
            "GET    | /api/v1/functions/cart/           | namespace=shop         | READ   | shop    | NONE   | false",
            "PUT    | /api/v1/functions/cart            | namespace=shop         | DEPLOY | shop    | CHECK  | false",
            "HEAD   | /api/v1/functions/cart            | namespace=shop         | READ   | shop    | NONE   | false",
            "HEAD   | /api/v1/tokens                    | -                      | ADMIN  | -       | NONE   | false",
            "DELETE | /api/v1/functions/cart            | namespace=shop         | DEPLOY | shop    | NONE   | false",
            "GET    | /api/v1/functions/cart/versions   | namespace=shop         | READ   | shop    | NONE   | false",
            "POST   | /api/v1/functions/cart/versions   | namespace=shop         | DEPLOY | shop    | CHECK  | false",
            "POST   | /api/v1/functions/cart/rollback   | namespace=shop         | DEPLOY | shop    | NONE   | false",
            "GET    | /api/v1/functions/cart/instances  | namespace=shop         | READ   | shop    | NONE   | false",
            "GET    | /api/v1/functions/cart/logs       | namespace=shop         | LOGS   | shop    | NONE   | false",
            "GET    | /api/v1/functions/cart/scaling    | -                      | READ   | default | NONE   | false",
            "POST   | /api/v1/artifacts                 | runtime=java           | DEPLOY | -       | NONE   | false",
            "PUT    | /api/v1/artifacts/chunks/abc      | -                      | DEPLOY | -       | NONE   | true",
            "HEAD   | /api/v1/artifacts/chunks/abc      | -                      | DEPLOY | -       | NONE   | true",
            "GET    | /api/v1/artifacts/chunks/abc      | -                      | DEPLOY | -       | NONE   | true",
            "POST   | /api/v1/artifacts/manifests       | -                      | DEPLOY | -       | NONE   | true",
            "GET    | /api/v1/artifacts/manifests/sha   | -                      | DEPLOY | -       | NONE   | true",
            "GET    | /api/v1/invocations               | -                      | LOGS   | -       | FILTER | true",
            "GET    | /api/v1/logs                      | -                      | LOGS   | -       | FILTER | true",
            "GET    | /api/v1/logs                      | function=shop/cart     | LOGS   | shop    | NONE   | true",
            "GET    | /api/v1/invocations               | function=shop/cart     | LOGS   | shop    | NONE   | true",
            "GET    | /api/v1/invocations               | function=cart&namespace=web | LOGS | web  | NONE   | true",
            "GET    | /api/v1/invocations               | function=cart          | LOGS   | default | NONE   | true",
            "GET    | /api/v1/invocations/inv-1         | -                      | LOGS   | -       | CHECK  | true",
            "GET    | /api/v1/instances                 | -                      | READ   | -       | FILTER | false",
            "GET    | /api/v1/runtimes                  | -                      | READ   | -       | NONE   | false",
            "GET    | /api/v1/cluster                   | -                      | READ   | -       | NONE   | false",
            "GET    | /api/v1/nodes                     | package=sha256:x       | READ   | -       | NONE   | false",
            "GET    | /api/v1/pools                     | -                      | READ   | -       | NONE   | false",
            "PUT    | /api/v1/pools/nodejs              | -                      | ADMIN  | -       | NONE   | false",
            "GET    | /api/v1/cluster/load              | -                      | READ   | -       | NONE   | true",
            "POST   | /api/v1/cluster/load              | -                      | ADMIN  | -       | NONE   | true",
            "GET    | /api/v1/tokens                    | -                      | ADMIN  | -       | NONE   | false",
            "POST   | /api/v1/tokens                    | -                      | ADMIN  | -       | NONE   | false",
            "DELETE | /api/v1/tokens/ci                 | -                      | ADMIN  | -       | NONE   | false",
            // the catch-alls: any valid token, so that nothing is answered without one
            "GET    | /api/v1/secrets                   | -                      | TOKEN  | -       | NONE   | false",
            "PATCH  | /api/v1/functions/cart            | -                      | TOKEN  | -       | NONE   | false",
            "GET    | /api/v1                           | -                      | TOKEN  | -       | NONE   | false",
            "GET    | /elsewhere                        | -                      | TOKEN  | -       | NONE   | false",
            // the console's files are open; the OpenAPI document is a read; a version's code is a deployer's
            "GET    | /                                 | -                      | OPEN   | -       | NONE   | false",
            "GET    | /console                          | -                      | OPEN   | -       | NONE   | false",
            "GET    | /console/assets/main-AB12CD34.js  | -                      | OPEN   | -       | NONE   | false",
            "POST   | /console/index.html               | -                      | TOKEN  | -       | NONE   | false",
            "GET    | /api/v1/openapi.json              | -                      | READ   | -       | NONE   | false",
            "GET    | /api/v1/functions/cart/versions/2/code | namespace=shop    | DEPLOY | shop    | NONE   | false",
            "POST   | /health                           | -                      | TOKEN  | -       | NONE   | false",
            "GET    | /health/ready/more                | -                      | TOKEN  | -       | NONE   | false",
    })
    void everyRouteNeedsItsAction(String method, String path, String query, String need, String namespace, Duty duty,
                                  boolean peer) {
        Map<String, String> params = new HashMap<>();
        if (query != null) {
            for (String kv : query.split("&")) {
                String[] p = kv.split("=", 2);
                params.put(p[0], p[1]);
            }
        }
        Access access = AdminRoutes.access().of(method, path, name -> Optional.ofNullable(params.get(name)));
        Kind kind = switch (need) {
            case "OPEN" -> Kind.OPEN;
            case "TOKEN" -> Kind.TOKEN;
            default -> Kind.ACTION;
        };
        Optional<Action> action = kind == Kind.ACTION ? Optional.of(Action.valueOf(need)) : Optional.empty();
        assertEquals(new Access(kind, action, Optional.ofNullable(namespace), duty, peer), access);
        assertEquals(kind == Kind.OPEN, access.open());
    }
}
