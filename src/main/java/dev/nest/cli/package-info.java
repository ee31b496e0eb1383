/** The {@code nest fn ...} commands: talk to a Nest server's admin API over HTTP. */
package dev.nest.cli;
