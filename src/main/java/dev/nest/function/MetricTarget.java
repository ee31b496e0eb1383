package dev.nest.function;

/**
 * One metric a function scales on, with the value one instance should carry (before {@code utilization}).
 *
 * @param type   the metric
 * @param target per-instance value, within {@link MetricType#minTarget()}..{@link MetricType#maxTarget()}
 */
public record MetricTarget(MetricType type, double target) {
    public MetricTarget {
        if (type == null) {
            throw new IllegalArgumentException("metric type is required");
        }
        if (!(target >= type.minTarget() && target <= type.maxTarget())) {
            throw new IllegalArgumentException("target of metric " + type.key() + " is " + target + "; allowed: "
                    + type.unit() + " from " + ScalingSpec.number(type.minTarget()) + " to "
                    + ScalingSpec.number(type.maxTarget()));
        }
    }
}
