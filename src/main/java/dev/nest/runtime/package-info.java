/**
 * Runtimes (language hosts): reads each {@code runtimes/<name>/runtime.yaml}, turns its launch template into a
 * command for this machine, and prepares code for a runtime at deploy time (compiling Java sources, checking the
 * syntax of Node.js handlers).
 */
package dev.nest.runtime;
