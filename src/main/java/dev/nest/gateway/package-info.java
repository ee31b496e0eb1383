/**
 * The gateway: receives invocations on {@code /fn/...}, resolves the live version, takes an instance from the
 * node agent (waiting while one starts), forwards the request as it came, and records the invocation.
 */
package dev.nest.gateway;
