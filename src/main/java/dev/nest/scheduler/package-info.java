/**
 * Turns desired instance counts into placements: which node runs each new instance (free memory and CPU, spread
 * over zones then nodes, a warm pool pod and the cached package preferred) and which instance goes first when a
 * function shrinks, as pure decisions ({@link dev.nest.scheduler.Placement}) plus the {@link
 * dev.nest.scheduler.Scheduler} that applies them.
 */
package dev.nest.scheduler;
