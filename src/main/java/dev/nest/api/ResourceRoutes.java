package dev.nest.api;

import io.helidon.webserver.http.HttpRouting;

/** The routes of one resource of the admin API; {@link AdminApi} registers each resource's routes in turn. */
interface ResourceRoutes {
    /** The resource's name as {@link AdminRoutes#table()} gives it. */
    String resource();

    /** Registers the resource's routes. */
    void routing(HttpRouting.Builder routing);
}
