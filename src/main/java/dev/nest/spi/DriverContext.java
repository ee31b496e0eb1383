package dev.nest.spi;

import java.nio.file.Path;
import java.util.Map;

/**
 * What a driver is given at creation.
 *
 * @param nodeId  this node's id (pods are labelled with it)
 * @param dataDir the node's data directory (drivers keep their own state in a subfolder)
 * @param options the driver's section of {@code sidecar.drivers.<name>} in nest.yaml
 */
public record DriverContext(String nodeId, Path dataDir, Map<String, String> options) {
}
