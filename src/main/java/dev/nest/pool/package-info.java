/** Warm pools: generic runtime pods started ahead of demand on each node, handed out for specialization and refilled. */
package dev.nest.pool;
