package dev.nest.trigger.cron;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
 * The {@code cron} trigger type (registered for {@link java.util.ServiceLoader}): runs on the leader; settings
 * {@code schedule}, {@code timezone}, {@code payload}, {@code concurrency}, {@code misfire},
 * {@code starting-deadline} (see {@link CronSettings}). Each tick reaches the function as a CloudEvent of type
 * {@value #EVENT_TYPE} in structured mode ({@code application/cloudevents+json}), {@code time} the scheduled
 * time, {@code data} the payload, through the async path. Stateless.
 */
public final class CronTriggerProvider implements TriggerSourceProvider {
    /** The CloudEvents {@code type} of a tick. */
    public static final String EVENT_TYPE = "dev.nest.cron.tick";

    @Override
    public String type() {
        return "cron";
    }

    @Override
    public TriggerPlacement placement() {
        return TriggerPlacement.LEADER;
    }

    @Override
    public List<SpecProblem> validate(String key, ObjectNode settings) {
        List<SpecProblem> problems = new ArrayList<>();
        CronSettings.parse(key, settings, problems);
        return problems;
    }

    @Override
    public TriggerSource create(TriggerContext context) {
        List<SpecProblem> problems = new ArrayList<>();
        CronSettings s = CronSettings.parse("triggers." + context.name(), context.settings(), problems)
                .orElseThrow(() -> new IllegalArgumentException(problems.toString()));
        return new CronTriggerSource(context, s);
    }

    @Override
    public ObjectNode describe(ObjectNode settings, Optional<byte[]> state, Instant now) {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        Optional<CronSettings> s = CronSettings.parse("", settings, new ArrayList<>());
        if (s.isEmpty()) {
            return n;
        }
        CronSettings c = s.get();
        n.put("schedule", c.schedule().toString());
        n.put("timezone", c.timezone().getId());
        n.put("concurrency", c.concurrency().name().toLowerCase());
        n.put("misfire", c.misfire().label());
        c.startingDeadline().ifPresent(d -> n.put("startingDeadline", dev.nest.common.Durations.format(d)));
        c.schedule().next(now, c.timezone()).ifPresent(t -> n.put("nextFire", t.toString()));
        state.map(CronState::read).ifPresent(st -> {
            st.lastFired().ifPresent(t -> n.put("lastFire", t.toString()));
            st.firedAt().ifPresent(t -> n.put("lastFiredAt", t.toString()));
            st.invocation().ifPresent(i -> n.put("lastInvocation", i));
            n.put("lastClaimed", st.lastClaimed().toString());
            n.put("missed", st.missed());
        });
        return n;
    }
}
