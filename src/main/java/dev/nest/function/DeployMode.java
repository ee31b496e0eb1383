package dev.nest.function;

import java.util.Arrays;
import java.util.Optional;

/**
 * How a function's instances are placed into pods: the spec's {@code deploy} key.
 * <ul>
 *   <li>{@link #DEDICATED}: every instance has a pod of its own (Nest's placement before merged pods existed);</li>
 *   <li>{@link #MERGED}: instances share a merged pod of their runtime and namespace with other functions, each
 *       isolated as well as its language allows (Node.js: a worker thread with its own heap limits; see
 *       docs/SECURITY.md);</li>
 *   <li>{@link #AUTO} (the default, and what a spec written before the key existed means): merged while the
 *       function's recent traffic is under the node's {@code sidecar.merge-below} requests per minute, dedicated
 *       above it.</li>
 * </ul>
 */
public enum DeployMode {
    DEDICATED("dedicated"),
    MERGED("merged"),
    AUTO("auto");

    /** The allowed values, for messages: "dedicated, merged or auto". */
    public static final String ALLOWED = "dedicated, merged or auto";

    private final String key;

    DeployMode(String key) {
        this.key = key;
    }

    /** The value in a spec. */
    public String key() {
        return key;
    }

    /** The mode named {@code key} (case-insensitive, surrounding blanks ignored), if there is one. */
    public static Optional<DeployMode> of(String key) {
        return Arrays.stream(values()).filter(m -> m.key.equalsIgnoreCase(key.strip())).findFirst();
    }
}
