package dev.nest.trigger;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.function.SpecProblem;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A trigger type whose sources only record that they started and stopped; settings with "bad" are refused. */
class FakeProvider implements TriggerSourceProvider {
    private final String type;
    private final TriggerPlacement placement;
    final List<String> events = new CopyOnWriteArrayList<>();
    /** When set, starting a source throws this message. */
    volatile String startFails;
    /** When set, running sources report that they stopped by themselves with this message. */
    volatile String stopsBySelf;

    FakeProvider(String type, TriggerPlacement placement) {
        this.type = type;
        this.placement = placement;
    }

    @Override
    public String type() {
        return type;
    }

    @Override
    public TriggerPlacement placement() {
        return placement;
    }

    @Override
    public List<SpecProblem> validate(String key, ObjectNode settings) {
        List<SpecProblem> p = new ArrayList<>();
        if (settings.has("bad")) {
            p.add(new SpecProblem(key + ".bad", settings.get("bad").asText(), "nothing"));
        }
        return p;
    }

    @Override
    public TriggerSource create(TriggerContext context) {
        String name = context.function() + "/" + context.name() + settings(context);
        return new TriggerSource() {
            @Override
            public void start() {
                if (startFails != null) {
                    events.add("failed " + name);
                    throw new IllegalStateException(startFails);
                }
                events.add("start " + name);
            }

            @Override
            public java.util.Optional<String> failure() {
                return java.util.Optional.ofNullable(stopsBySelf);
            }

            @Override
            public List<TriggerMetric> metrics() {
                return List.of(TriggerMetric.gauge("lag_records", "Records behind.", 7, "partition", "0"),
                        TriggerMetric.counter("records_total", "Records handled.", 3));
            }

            @Override
            public void close() {
                events.add("stop " + name);
            }
        };
    }

    private static String settings(TriggerContext c) {
        return c.settings().isEmpty() ? "" : " " + c.settings();
    }
}
