/** The {@code process} sandbox driver: each pod is a child process of Nest (development and single-server use). */
package dev.nest.driver.process;
