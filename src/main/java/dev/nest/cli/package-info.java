/**
 * The {@code nest fn ...}, {@code nest login} and {@code nest token ...} commands: talk to a Nest server's admin API
 * over HTTP, with the bearer token {@link dev.nest.cli.Credentials} finds.
 */
package dev.nest.cli;
