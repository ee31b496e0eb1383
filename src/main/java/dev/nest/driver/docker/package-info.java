/**
 * The {@code docker} sandbox driver: each pod is a hardened container of the runtime's image, created through
 * the Docker engine API (docker-java, zerodep transport over the engine's Unix socket).
 */
package dev.nest.driver.docker;
