/**
 * Code packages: content-addressed by the sha256 of their unpacked content, stored as independent zstd or lz4
 * chunks with a manifest, fetched from peers and unpacked in parallel once per node into a read-only code
 * directory shared by every instance of that content, with safe unpacking (no escapes, no links, no devices,
 * size and entry limits) and an LRU cache bounded by size that never evicts a package in use.
 */
package dev.nest.artifact;
