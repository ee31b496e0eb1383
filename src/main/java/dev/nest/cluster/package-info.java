/**
 * ZooKeeper through Curator: the embedded server, membership, leader election and the desired-state tree
 * ({@code /nest/<region>/...}). The only module that imports Curator or ZooKeeper.
 */
package dev.nest.cluster;
