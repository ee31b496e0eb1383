/**
 * The built-in {@code cron} trigger: a schedule that invokes a function through the durable async path, fired by the
 * region's leader exactly once per tick (each tick claimed in ZooKeeper before it is enqueued). It implements the
 * same SPI a plugin would ({@link dev.nest.trigger.TriggerSourceProvider}).
 */
package dev.nest.trigger.cron;
