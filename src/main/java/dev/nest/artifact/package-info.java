/**
 * Code packages: content-addressed by the sha256 of their unpacked content, unpacked once per node into a
 * read-only code directory shared by every sandbox of that content, with safe unpacking (no escapes, no
 * links out, size and entry limits).
 */
package dev.nest.artifact;
