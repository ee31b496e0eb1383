/**
 * The gateway: receives invocations on {@code /fn/...}, resolves the live version, takes an instance through
 * {@link dev.nest.sidecar.InstanceLeases} (waiting while one starts), forwards the request as it came, and records
 * the invocation; a function whose spec says {@code auth: token} is served only to callers that
 * {@link dev.nest.gateway.InvokeAuth} lets through. Every other path goes on to the admin server. The port runs on
 * Netty's HTTP/1.1 codec (strict RFC 9112 framing on top), optionally with TLS ({@link dev.nest.gateway.Tls}).
 */
package dev.nest.gateway;
