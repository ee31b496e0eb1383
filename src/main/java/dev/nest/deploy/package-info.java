/**
 * Changes to the desired state: deploying a version (checking its runtime and code), rolling back, deleting,
 * and keeping functions defined in {@code config/functions/*.yaml} in step with their files.
 */
package dev.nest.deploy;
