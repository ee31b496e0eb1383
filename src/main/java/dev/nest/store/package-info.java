/** Node-local durable state in H2: invocation records, function logs and the deploy audit, written off the hot path. */
package dev.nest.store;
