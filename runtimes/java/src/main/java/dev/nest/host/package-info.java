/** The Java runtime host: runs Java functions in per-version class loaders and speaks the runtime contract ({@code runtimes/CONTRACT.md}) to the node agent. */
package dev.nest.host;
