/**
 * The HTTP admin API under {@code /api/v1} and {@code /health}: one route class per resource composed by
 * {@link dev.nest.api.AdminApi}, every route listed in {@link dev.nest.api.AdminRoutes#table()}, responses as
 * records serialized by Jackson, and {@link dev.nest.api.Errors}, the one place errors become JSON responses.
 */
package dev.nest.api;
