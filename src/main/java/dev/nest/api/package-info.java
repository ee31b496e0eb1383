/**
 * The HTTP admin API under {@code /api/v1} and {@code /health}: one route class per resource composed by
 * {@link dev.nest.api.AdminApi}, every route listed in {@link dev.nest.api.AdminRoutes#table()}, responses as
 * records serialized by Jackson, and {@link dev.nest.api.Errors}, the one place errors become JSON responses.
 * The table also says what each route needs; {@link dev.nest.api.AuthFilter} applies it to every request (tokens,
 * roles and namespaces as decided by {@code dev.nest.auth}), and the token endpoints are
 * {@code /api/v1/tokens}.
 */
package dev.nest.api;
