/** Integration tests of several Nest processes on a real ZooKeeper ensemble. */
package dev.nest.it.cluster;
