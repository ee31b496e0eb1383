/**
 * Carries the scheduler's placements across the cluster: the leader's side writes each node's instance counts and
 * re-places a dead node's instances ({@link dev.nest.placement.LeaderPlacements}); every node's side turns its
 * own placements into node agent targets ({@link dev.nest.placement.PlacementFollower}).
 */
package dev.nest.placement;
