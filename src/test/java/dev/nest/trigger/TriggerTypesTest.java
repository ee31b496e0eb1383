package dev.nest.trigger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionSpec;
import dev.nest.function.QueueSpec;
import dev.nest.function.ScalingSpec;
import dev.nest.function.SpecProblem;
import dev.nest.function.TriggerSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TriggerTypesTest {
    static FunctionSpec spec(List<TriggerSpec> triggers, boolean http) {
        return new FunctionSpec(FunctionId.of("default", "f"), "nodejs", "", 128, Duration.ofSeconds(30), 1, Map.of(),
                ScalingSpec.DEFAULT, QueueSpec.DEFAULT).withTriggers(triggers, http);
    }

    static TriggerSpec trigger(String name, String type, String key, String value) {
        ObjectNode s = JsonNodeFactory.instance.objectNode();
        if (key != null) {
            s.put(key, value);
        }
        return new TriggerSpec(name, type, s);
    }

    @Test
    void serviceLoaderFindsTheBuiltInCronOnce() {
        ClassLoader own = TriggerTypes.class.getClassLoader();
        TriggerTypes types = TriggerTypes.load(List.of(own, new ClassLoader(own) { }));
        assertEquals(List.of("cron"), types.types());
        assertEquals(TriggerPlacement.LEADER, types.provider("cron").orElseThrow().placement());
        assertEquals(List.of(), types.problems());
    }

    @Test
    void unknownTypesListTheKnownOnes() {
        TriggerTypes types = TriggerTypes.load(List.of(TriggerTypes.class.getClassLoader()));
        List<SpecProblem> p = types.problems(spec(List.of(trigger("k", "kafka", "topic", "t")), true));
        assertEquals(1, p.size());
        assertEquals("key 'triggers[0].type': value 'kafka' is not valid; allowed: one of the trigger types this node "
                + "knows: cron (plugin types need their plugin in plugins/)", p.getFirst().toString());
    }

    @Test
    void settingsAreCheckedByTheirProvider() {
        TriggerTypes types = TriggerTypes.load(List.of(TriggerTypes.class.getClassLoader()));
        List<SpecProblem> p = types.problems(spec(List.of(trigger("c", "cron", "schedule", "every day")), true));
        assertEquals(1, p.size());
        assertTrue(p.getFirst().key().equals("triggers[0].schedule"), p.toString());
        assertEquals(List.of(), types.problems(spec(List.of(trigger("c", "cron", "schedule", "0 * * * *")), false)));
    }

    @Test
    void anEventOnlyFunctionNeedsATrigger() {
        TriggerTypes types = TriggerTypes.of(List.of());
        List<SpecProblem> p = types.problems(spec(List.of(), false));
        assertEquals("http", p.getFirst().key());
    }

    @Test
    void aSecondProviderOfATypeIsReportedNotUsed() {
        TriggerSourceProvider a = new FakeProvider("x", TriggerPlacement.EVERY_NODE);
        TriggerSourceProvider b = new FakeProvider("x", TriggerPlacement.LEADER);
        TriggerTypes types = TriggerTypes.of(List.of(a, b));
        assertEquals(a, types.provider("x").orElseThrow());
        assertEquals(1, types.problems().size());
    }
}
