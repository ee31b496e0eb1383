/**
 * The {@code containerd} sandbox driver: each pod is a hardened container of the runtime's image, made by
 * calling containerd's gRPC API (stubs generated from its protos in {@code src/main/proto}) over its Unix socket.
 */
package dev.nest.driver.containerd;
