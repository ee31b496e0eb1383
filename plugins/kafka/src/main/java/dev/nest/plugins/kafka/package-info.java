/**
 * The Kafka plugin: {@code async.queue: kafka}, async invocations on Kafka share groups (KIP-932); and the
 * {@code kafka} trigger type ({@link dev.nest.plugins.kafka.KafkaTriggerProvider}), batches of a topic's records on a
 * consumer group.
 */
package dev.nest.plugins.kafka;
