/**
 * API authentication: bearer tokens ({@link dev.nest.auth.TokenSecret}) kept as hashes in a
 * {@link dev.nest.auth.TokenStore}, roles and namespace scopes ({@link dev.nest.auth.Principal}), the table of what
 * each route needs ({@link dev.nest.auth.RouteAccess}) applied before routing ({@link dev.nest.auth.AuthFilter},
 * deciding with the {@link dev.nest.auth.Authorizer}: allowed, 401 or 403), the token endpoints
 * ({@link dev.nest.auth.TokenRoutes}), the first admin token of a region ({@link dev.nest.auth.Bootstrap}) and each
 * node's credential for its peers ({@link dev.nest.auth.NodeCredential}).
 *
 * <p>Threat model: a caller that reaches the node's port without a valid token can call only {@code /health}; a
 * token that leaks is recognisable by its {@code nest_} prefix and checksum, and an admin revokes it on every node
 * at once. Secrets exist only at their holder: the store keeps SHA-256 hashes (the secrets carry 256 random bits),
 * logs and lists show a display prefix. Not covered: transport security (put TLS in front of the public port), and
 * anyone with write access to ZooKeeper, who controls the region anyway.
 */
package dev.nest.auth;
