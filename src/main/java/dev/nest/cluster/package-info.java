/**
 * ZooKeeper through Curator: the embedded server, membership, leader election and the desired-state tree
 * ({@code /nest/<region>/...}), readable and writable only with the cluster's shared credential
 * ({@link dev.nest.cluster.ClusterCredential}, which also authenticates the nodes' calls to each other). The only
 * module that imports Curator or ZooKeeper.
 */
package dev.nest.cluster;
