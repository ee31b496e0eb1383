/**
 * One integration suite for every sandbox driver ({@link dev.nest.it.drivers.DriverSuite}), run against the
 * real engine of each: child processes, Docker, containerd.
 */
package dev.nest.it.drivers;
