/**
 * Runtimes (language hosts): reads each {@code runtimes/<name>/runtime.yaml}, turns its launch template into a
 * command for this machine, and prepares code for a runtime at deploy time (compiling Java sources, checking Node.js handlers' syntax).
 */
package dev.nest.runtime;
