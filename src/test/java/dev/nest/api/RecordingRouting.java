package dev.nest.api;

import io.helidon.webserver.http.HttpRouting;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * An {@link HttpRouting.Builder} that forwards every call to a real one and records each route registered through
 * it as {@code METHOD path}. A registration it cannot list (a service, a filter, a route object, a route without
 * a path) is recorded as {@code UNLISTED name}, so that a test comparing against a table fails on it.
 */
final class RecordingRouting {
    private static final Set<String> METHODS = Set.of("get", "post", "put", "delete", "head", "options", "trace",
            "patch", "any");
    private static final Set<String> UNLISTED = Set.of("route", "register", "addFilter", "addFeature", "security");

    private final HttpRouting.Builder target = HttpRouting.builder();
    private final List<String> routes = new ArrayList<>();
    private final HttpRouting.Builder proxy;

    RecordingRouting() {
        proxy = (HttpRouting.Builder) Proxy.newProxyInstance(HttpRouting.Builder.class.getClassLoader(),
                new Class<?>[] {HttpRouting.Builder.class}, (self, method, args) -> {
                    String name = method.getName();
                    if (METHODS.contains(name)) {
                        routes.add(name.toUpperCase(Locale.ROOT) + " "
                                + (args.length > 0 && args[0] instanceof String path ? path : "(no path)"));
                    } else if (UNLISTED.contains(name)) {
                        routes.add("UNLISTED " + name);
                    }
                    try {
                        Object result = method.invoke(target, args);
                        return result == target ? self : result;
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /** The builder to register routes on. */
    HttpRouting.Builder builder() {
        return proxy;
    }

    /** The routes registered so far, {@code METHOD path}, in order. */
    List<String> routes() {
        return List.copyOf(routes);
    }
}
