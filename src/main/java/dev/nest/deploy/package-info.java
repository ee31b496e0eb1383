/**
 * Changes to the desired state: deploying a version (checking its runtime and code), rolling back, deleting,
 * and keeping functions defined in {@code config/functions/*.yaml} in step with their files (read defensively: size
 * and YAML limits, and where {@code code:} may point); copying a deploy's package to other nodes and fetching a
 * package this node lacks.
 */
package dev.nest.deploy;
