/**
 * API authentication, without HTTP: bearer tokens ({@link dev.nest.auth.TokenSecret}) kept as hashes in a
 * {@link dev.nest.auth.TokenStore}, roles and namespace scopes ({@link dev.nest.auth.Principal}), what a route needs
 * ({@link dev.nest.auth.Requirement}, declared by each route of the admin API's table and looked up by
 * {@link dev.nest.auth.RouteAccess}), the decision ({@link dev.nest.auth.Authorizer}: allowed, 401 or 403), the
 * first admin token of a region ({@link dev.nest.auth.Bootstrap}) and the credential the nodes of a cluster present
 * to each other ({@link dev.nest.auth.PeerCredential}, bound by the server to the cluster's credential). The
 * filter and the token endpoints are the admin API's ({@code dev.nest.api.AuthFilter}, {@code /api/v1/tokens}).
 *
 * <p>Threat model: a caller that reaches the node's port without a valid token can call only {@code /health}; a
 * token that leaks is recognisable by its {@code nest_} prefix and checksum, and an admin revokes it on every node
 * at once. Secrets exist only at their holder: the store keeps SHA-256 hashes (the secrets carry 256 random bits),
 * logs and lists show a display prefix. Not covered: transport security (put TLS in front of the public port), and
 * anyone with write access to ZooKeeper, who controls the region anyway.
 */
package dev.nest.auth;
