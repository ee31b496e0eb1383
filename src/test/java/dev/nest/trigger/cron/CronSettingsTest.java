package dev.nest.trigger.cron;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.common.Json;
import dev.nest.function.SpecProblem;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CronSettingsTest {
    private static ObjectNode settings(String yaml) {
        try {
            return (ObjectNode) Json.yaml().readTree(yaml);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    static Stream<Arguments> problems() {
        return Stream.of(
                Arguments.of("timezone: UTC", "key 'triggers[0].schedule': required"),
                Arguments.of("schedule: '* * *'", "key 'triggers[0].schedule': value '* * *' is not valid; allowed: '* * *' has 3 fields"),
                Arguments.of("schedule: '61 * * * * *'", "key 'triggers[0].schedule': value '61 * * * * *'"),
                Arguments.of("schedule: '* * * * *'\ntimezone: Mars/Olympus", "key 'triggers[0].timezone': value 'Mars/Olympus' is not valid; allowed: a time-zone id"),
                Arguments.of("schedule: '* * * * *'\nconcurrency: sometimes", "key 'triggers[0].concurrency': value 'sometimes' is not valid; allowed: allow"),
                Arguments.of("schedule: '* * * * *'\nmisfire: later", "key 'triggers[0].misfire': value 'later' is not valid; allowed: fire-once"),
                Arguments.of("schedule: '* * * * *'\nstarting-deadline: 0s", "key 'triggers[0].starting-deadline': value '0s' is not valid; allowed: a duration from 1s to 7d"),
                Arguments.of("schedule: '0 0 30 2 *'", "key 'triggers[0].schedule': value '0 0 30 2 *' is not valid; allowed: a schedule that fires"),
                Arguments.of("schedule: '0 0 0 31 4,6,9,11 *'", "names only dates that do not exist"),
                Arguments.of("schedule: '*/0 * * * * *'", "Period 0 not in range"),
                Arguments.of("schedule: [1, 2]", "key 'triggers[0].schedule': value '[1,2]' is not valid"),
                Arguments.of("schedule: '" + "1,".repeat(200) + "1 * * * *'", "at most 256 characters"),
                Arguments.of("schedule: '* * * * *'\ntimezone: ''", "key 'triggers[0].timezone': value '' is not valid; allowed: a time-zone id"),
                Arguments.of("schedule: '* * * * *'\ntimezone: '" + "Europe/".repeat(100) + "'", "(700 characters)"),
                Arguments.of("schedule: '* * * * *'\ntimezone: 5", "key 'triggers[0].timezone': value '5' is not valid"),
                Arguments.of("schedule: '* * * * *'\nstarting-deadline: -5s", "key 'triggers[0].starting-deadline': value '-5s' is not valid; allowed: a duration from 1s to 7d"),
                Arguments.of("schedule: '* * * * *'\nstarting-deadline: 8d", "value '8d' is not valid"),
                Arguments.of("schedule: '* * * * *'\nconcurrency: [replace]", "key 'triggers[0].concurrency'"),
                Arguments.of("schedule: '* * * * *'\npayload: '" + "x".repeat(70_000) + "'", "at most 65536 bytes"),
                Arguments.of("schedule: '* * * * *'\nevery: 5m", "key 'triggers[0].every': unknown key; a cron trigger takes concurrency, misfire, payload, schedule, starting-deadline, timezone"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("problems")
    void problemsNameTheKeyTheValueAndWhatIsAllowed(String yaml, String message) {
        List<SpecProblem> p = new CronTriggerProvider().validate("triggers[0]", settings(yaml));
        assertEquals(1, p.size(), p.toString());
        assertTrue(p.getFirst().toString().contains(message), p.getFirst().toString());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valid")
    void validSettings(String yaml) {
        assertEquals(List.of(), new CronTriggerProvider().validate("triggers[0]", settings(yaml)));
    }

    static Stream<String> valid() {
        return Stream.of("schedule: '0 3 * * *'",
                "schedule: '*/2 * * * * *'\ntimezone: Asia/Shanghai\npayload: [1, 2]\nconcurrency: forbid\nmisfire: skip",
                "schedule: '0 * * * MON-FRI'\nmisfire: fire-once\nstarting-deadline: 5m\nconcurrency: allow",
                "schedule: '*/5 * * * *'\nconcurrency: replace");
    }
}
