package dev.nest.plugins.kafka;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.common.Durations;
import dev.nest.function.SpecProblem;
import dev.nest.trigger.TriggerContext;
import dev.nest.trigger.TriggerPlacement;
import dev.nest.trigger.TriggerSource;
import dev.nest.trigger.TriggerSourceProvider;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code kafka} trigger type (registered for {@link java.util.ServiceLoader} by the Kafka plugin): runs on every
 * node, each a member of the trigger's consumer group; the function receives batches of records as JSON and may
 * report single records as failed (see {@link TriggerBatches}); a record that keeps failing goes to the
 * {@code dead-letter-topic}. Settings: {@link KafkaTriggerSettings}; the running source: {@link KafkaTriggerSource}.
 * Stateless.
 */
public final class KafkaTriggerProvider implements TriggerSourceProvider {
    @Override
    public String type() {
        return "kafka";
    }

    @Override
    public TriggerPlacement placement() {
        return TriggerPlacement.EVERY_NODE;
    }

    @Override
    public List<SpecProblem> validate(String key, ObjectNode settings) {
        List<SpecProblem> problems = new ArrayList<>();
        KafkaTriggerSettings.parse(key, settings, problems);
        return problems;
    }

    @Override
    public TriggerSource create(TriggerContext context) {
        List<SpecProblem> problems = new ArrayList<>();
        KafkaTriggerSettings s = KafkaTriggerSettings.parse("triggers." + context.name(), context.settings(), problems)
                .orElseThrow(() -> new IllegalArgumentException(problems.toString()));
        return new KafkaTriggerSource(context, s);
    }

    @Override
    public ObjectNode describe(ObjectNode settings, Optional<byte[]> state, Instant now) {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        KafkaTriggerSettings.parse("", settings, new ArrayList<>()).ifPresent(s -> {
            n.put("topic", s.topic());
            s.group().ifPresent(g -> n.put("group", g));
            n.put("batchSize", s.batchSize());
            n.put("batchWindow", Durations.format(s.batchWindow()));
            n.put("start", s.start().label());
            n.put("retries", s.retries());
            s.deadLetterTopic().ifPresent(d -> n.put("deadLetterTopic", d));
        });
        return n;
    }
}
