package dev.nest.store;

import java.time.Instant;

/** A change to a function's desired state made through this node: deploy, update, rollback, delete. */
public record AuditEntry(Instant at, String function, String action, int version, String source, String detail) {
}
