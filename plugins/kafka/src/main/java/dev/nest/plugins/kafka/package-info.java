/** The Kafka plugin: {@code async.queue: kafka}, async invocations on Kafka share groups (KIP-932). */
package dev.nest.plugins.kafka;
