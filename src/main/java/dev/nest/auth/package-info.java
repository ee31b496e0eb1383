/**
 * API authentication: bearer tokens ({@link dev.nest.auth.TokenSecret}) held as hashes in a
 * {@link dev.nest.auth.TokenStore}, roles and namespace scopes ({@link dev.nest.auth.Principal}), the per-route
 * decision ({@link dev.nest.auth.Authorizer}: allowed, 401 or 403) and the first admin token of a region
 * ({@link dev.nest.auth.Bootstrap}).
 */
package dev.nest.auth;
