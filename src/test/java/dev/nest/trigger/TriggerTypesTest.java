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
        assertEquals(TriggerPlacement.EVERY_NODE, types.provider("x").orElseThrow().placement());
        assertEquals(1, types.problems().size());
        assertTrue(types.problems().getFirst().contains("provides it already"), types.problems().toString());
    }

    /** A plugin's provider that answers {@code type()} and {@code placement()} as given, or throws them. */
    private static TriggerSourceProvider hostile(java.util.function.Supplier<String> type,
                                                 java.util.function.Supplier<TriggerPlacement> placement) {
        return new FakeProvider("unused", TriggerPlacement.LEADER) {
            @Override
            public String type() {
                return type.get();
            }

            @Override
            public TriggerPlacement placement() {
                return placement.get();
            }
        };
    }

    @Test
    void providersWithUnusableAnswersAreReportedAndTheOthersLoad() {
        List<TriggerSourceProvider> providers = List.of(
                hostile(() -> null, () -> TriggerPlacement.LEADER),
                hostile(() -> "Kafka Trigger", () -> TriggerPlacement.LEADER),
                hostile(() -> { throw new IllegalStateException("boom"); }, () -> TriggerPlacement.LEADER),
                hostile(() -> "linked", () -> { throw new NoClassDefFoundError("org/missing/Thing"); }),
                hostile(() -> "nowhere", () -> null),
                new FakeProvider("good", TriggerPlacement.EVERY_NODE));
        TriggerTypes types = TriggerTypes.of(providers);
        assertEquals(List.of("good"), types.types());
        List<String> p = types.problems();
        assertEquals(5, p.size(), p.toString());
        assertTrue(p.get(0).contains("its type is missing"), p.get(0));
        assertTrue(p.get(1).contains("'Kafka Trigger' is not a type name a spec can use"), p.get(1));
        assertTrue(p.get(2).contains("threw java.lang.IllegalStateException: boom"), p.get(2));
        assertTrue(p.get(3).contains("org/missing/Thing"), p.get(3));
        assertTrue(p.get(4).contains("declares no placement"), p.get(4));
    }

    @Test
    void aValidateThatThrowsRefusesItsTriggerWithAMessageNotADeployError() {
        TriggerSourceProvider broken = new FakeProvider("broken", TriggerPlacement.EVERY_NODE) {
            @Override
            public List<SpecProblem> validate(String key, ObjectNode settings) {
                throw new NoClassDefFoundError("org/apache/kafka/Missing");
            }
        };
        TriggerTypes types = TriggerTypes.of(List.of(broken));
        List<SpecProblem> p = types.problems(spec(List.of(trigger("b", "broken", null, null)), true));
        assertEquals(1, p.size());
        assertEquals("triggers[0]", p.getFirst().key());
        assertTrue(p.getFirst().allowed().contains("could not check its settings")
                && p.getFirst().allowed().contains("org/apache/kafka/Missing"), p.toString());
    }
}
