package dev.nest.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nest.auth.RouteAccess.Access;
import dev.nest.auth.RouteAccess.Duty;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RouteAccessTest {

    /** Query strings are written a=b&c=d; an empty action is an open route; an empty namespace is none. */
    @ParameterizedTest(name = "{0} {1}?{2} -> {3} {4} {5}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            "GET    | /health                           | -                      | -      | -       | NONE",
            "GET    | /metrics                          | -                      | READ   | -       | NONE",
            "GET    | /api/v1/functions                 | -                      | READ   | -       | FILTER",
            "GET    | /api/v1/functions                 | namespace=shop         | READ   | shop    | NONE",
            "POST   | /api/v1/functions                 | -                      | DEPLOY | -       | CHECK",
            "GET    | /api/v1/functions/cart            | -                      | READ   | default | NONE",
            "GET    | /api/v1/functions/cart/           | namespace=shop         | READ   | shop    | NONE",
            "PUT    | /api/v1/functions/cart            | namespace=shop         | DEPLOY | shop    | CHECK",
            "DELETE | /api/v1/functions/cart            | namespace=shop         | DEPLOY | shop    | NONE",
            "GET    | /api/v1/functions/cart/versions   | namespace=shop         | READ   | shop    | NONE",
            "POST   | /api/v1/functions/cart/versions   | namespace=shop         | DEPLOY | shop    | CHECK",
            "POST   | /api/v1/functions/cart/rollback   | namespace=shop         | DEPLOY | shop    | NONE",
            "GET    | /api/v1/functions/cart/instances  | namespace=shop         | READ   | shop    | NONE",
            "GET    | /api/v1/functions/cart/logs       | namespace=shop         | LOGS   | shop    | NONE",
            "GET    | /api/v1/functions/cart/scaling    | -                      | READ   | default | NONE",
            "POST   | /api/v1/artifacts                 | runtime=java           | DEPLOY | -       | NONE",
            "PUT    | /api/v1/artifacts/chunks/abc      | -                      | DEPLOY | -       | NONE",
            "HEAD   | /api/v1/artifacts/chunks/abc      | -                      | DEPLOY | -       | NONE",
            "GET    | /api/v1/artifacts/chunks/abc      | -                      | DEPLOY | -       | NONE",
            "POST   | /api/v1/artifacts/manifests       | -                      | DEPLOY | -       | NONE",
            "GET    | /api/v1/artifacts/manifests/sha   | -                      | DEPLOY | -       | NONE",
            "GET    | /api/v1/invocations               | -                      | LOGS   | -       | FILTER",
            "GET    | /api/v1/invocations               | function=shop/cart     | LOGS   | shop    | NONE",
            "GET    | /api/v1/invocations               | function=cart&namespace=web | LOGS | web  | NONE",
            "GET    | /api/v1/invocations               | function=cart          | LOGS   | default | NONE",
            "GET    | /api/v1/invocations/inv-1         | -                      | LOGS   | -       | CHECK",
            "GET    | /api/v1/instances                 | -                      | READ   | -       | FILTER",
            "GET    | /api/v1/runtimes                  | -                      | READ   | -       | NONE",
            "GET    | /api/v1/cluster                   | -                      | READ   | -       | NONE",
            "GET    | /api/v1/nodes                     | package=sha256:x       | READ   | -       | NONE",
            "GET    | /api/v1/pools                     | -                      | READ   | -       | NONE",
            "PUT    | /api/v1/pools/nodejs              | -                      | ADMIN  | -       | NONE",
            "GET    | /api/v1/cluster/load              | -                      | READ   | -       | NONE",
            "POST   | /api/v1/cluster/load              | -                      | ADMIN  | -       | NONE",
            "GET    | /api/v1/tokens                    | -                      | ADMIN  | -       | NONE",
            "POST   | /api/v1/tokens                    | -                      | ADMIN  | -       | NONE",
            "DELETE | /api/v1/tokens/ci                 | -                      | ADMIN  | -       | NONE",
            // not in the table: closed to all but admins
            "GET    | /api/v1/secrets                   | -                      | ADMIN  | -       | NONE",
            "PATCH  | /api/v1/functions/cart            | -                      | ADMIN  | -       | NONE",
            "GET    | /                                 | -                      | ADMIN  | -       | NONE",
            "POST   | /health                           | -                      | ADMIN  | -       | NONE",
    })
    void everyRouteNeedsItsAction(String method, String path, String query, Action action, String namespace, Duty duty) {
        Map<String, String> params = new HashMap<>();
        if (query != null) {
            for (String kv : query.split("&")) {
                String[] p = kv.split("=", 2);
                params.put(p[0], p[1]);
            }
        }
        Access access = RouteAccess.of(method, path, name -> Optional.ofNullable(params.get(name)));
        assertEquals(new Access(Optional.ofNullable(action), Optional.ofNullable(namespace), duty), access);
        assertEquals(action == null, access.open());
    }
}
