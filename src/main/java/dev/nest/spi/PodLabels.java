package dev.nest.spi;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The labels Nest puts on its pods. Drivers that can label what they create (containers, tasks) carry them, so that
 * a restarted node finds and removes the pods an earlier run of it left behind ({@link SandboxDriver#removeOrphans}),
 * and only those.
 */
public final class PodLabels {
    /** Always {@code nest}: the pod is Nest's. */
    public static final String OWNER = "dev.nest.owner";
    /** The id of the node whose agent started the pod. */
    public static final String NODE = "dev.nest.node";
    /** The pod's id. */
    public static final String POD = "dev.nest.pod";
    /** The function ({@code namespace/name}) an instance's pod was started for. */
    public static final String FUNCTION = "dev.nest.function";
    /** The function version an instance's pod was started for. */
    public static final String VERSION = "dev.nest.version";
    /** The runtime of a warm-pool pod (started before any function was known). */
    public static final String POOL = "dev.nest.pool";

    private PodLabels() {
    }

    /** The labels of the pod {@code spec} on node {@code nodeId}: the spec's own, then {@link #OWNER}, {@link #NODE}, {@link #POD}. */
    public static Map<String, String> of(PodSpec spec, String nodeId) {
        Map<String, String> labels = new LinkedHashMap<>(spec.labels());
        labels.put(OWNER, "nest");
        labels.put(NODE, nodeId);
        labels.put(POD, spec.podId());
        return labels;
    }

    /** Whether {@code labels} say Nest's node {@code nodeId} made what carries them (an orphan, after a crash). */
    public static boolean ownedBy(Map<String, String> labels, String nodeId) {
        return "nest".equals(labels.get(OWNER)) && nodeId.equals(labels.get(NODE));
    }
}
