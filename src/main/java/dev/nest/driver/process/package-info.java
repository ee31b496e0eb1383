/**
 * The {@code process} sandbox driver: each pod is a child process of Nest, run as its own unprivileged uid when Nest
 * runs as root (see docs/SECURITY.md).
 */
package dev.nest.driver.process;
