package dev.nest.trigger.cron;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nest.function.CronExpression;
import dev.nest.trigger.InvocationSink.RunState;
import dev.nest.trigger.cron.CronSettings.Concurrency;
import dev.nest.trigger.cron.CronTicks.Admission;
import dev.nest.trigger.cron.CronSettings.Misfire;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CronTicksTest {
    private static final ZoneId UTC = ZoneId.of("UTC");

    static Stream<Arguments> due() {
        // schedule, last claimed, now, misfire, deadline (s, 0: none) -> claimed tick or "-", fires, missed
        return Stream.of(
                Arguments.of("on time", "*/2 * * * * *", "10:00:00", "10:00:02.010", Misfire.FIRE_ONCE, 0, "10:00:02", true, 0),
                Arguments.of("not due yet", "*/2 * * * * *", "10:00:02", "10:00:03.900", Misfire.FIRE_ONCE, 0, "-", false, 0),
                Arguments.of("already claimed", "*/2 * * * * *", "10:00:02", "10:00:02.500", Misfire.SKIP, 0, "-", false, 0),
                Arguments.of("new leader, fire-once: the latest stands for 3 missed", "*/2 * * * * *", "10:00:00",
                        "10:00:08.500", Misfire.FIRE_ONCE, 0, "10:00:08", true, 3),
                Arguments.of("new leader, skip, latest on time: fires, 3 missed", "*/2 * * * * *", "10:00:00",
                        "10:00:08.500", Misfire.SKIP, 0, "10:00:08", true, 3),
                Arguments.of("new leader, skip, latest late: nothing fires", "*/2 * * * * *", "10:00:00",
                        "10:00:09.500", Misfire.SKIP, 0, "10:00:08", false, 4),
                Arguments.of("fire-once within the deadline", "*/2 * * * * *", "10:00:00", "10:00:09.500",
                        Misfire.FIRE_ONCE, 5, "10:00:08", true, 3),
                Arguments.of("fire-once past the deadline", "0 * * * *", "09:00:00", "10:30:00", Misfire.FIRE_ONCE, 60,
                        "10:00:00", false, 1),
                Arguments.of("five fields, an hour down, fire-once", "0 * * * *", "07:00:00", "10:30:00",
                        Misfire.FIRE_ONCE, 0, "10:00:00", true, 2));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("due")
    void dueTicks(String name, String cron, String last, String now, Misfire misfire, int deadlineSeconds,
                  String claimed, boolean fires, int missed) {
        Optional<CronTicks.Due> d = CronTicks.due(CronExpression.parse(cron), UTC, at(last), at(now), misfire,
                deadlineSeconds == 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(deadlineSeconds)));
        if (claimed.equals("-")) {
            assertEquals(Optional.empty(), d);
            return;
        }
        assertEquals(new CronTicks.Due(at(claimed), fires, missed), d.orElseThrow());
    }

    static Stream<Arguments> concurrency() {
        return Stream.of(
                Arguments.of(Concurrency.ALLOW, RunState.RUNNING, false, Admission.FIRE),
                Arguments.of(Concurrency.ALLOW, RunState.WAITING, false, Admission.FIRE),
                Arguments.of(Concurrency.ALLOW, RunState.FINISHED, false, Admission.FIRE),
                Arguments.of(Concurrency.FORBID, RunState.RUNNING, false, Admission.SKIP),
                Arguments.of(Concurrency.FORBID, RunState.WAITING, false, Admission.SKIP),
                Arguments.of(Concurrency.FORBID, RunState.FINISHED, false, Admission.FIRE),
                Arguments.of(Concurrency.FORBID, RunState.UNKNOWN, false, Admission.FIRE),
                Arguments.of(Concurrency.REPLACE, RunState.RUNNING, false, Admission.REPLACE),
                Arguments.of(Concurrency.REPLACE, RunState.WAITING, false, Admission.REPLACE),
                Arguments.of(Concurrency.REPLACE, RunState.RUNNING, true, Admission.SKIP),
                Arguments.of(Concurrency.REPLACE, RunState.WAITING, true, Admission.SKIP),
                Arguments.of(Concurrency.REPLACE, RunState.FINISHED, false, Admission.FIRE),
                Arguments.of(Concurrency.REPLACE, RunState.FINISHED, true, Admission.FIRE),
                Arguments.of(Concurrency.REPLACE, RunState.UNKNOWN, false, Admission.FIRE));
    }

    @ParameterizedTest(name = "{0} with the previous run {1} (cancel tried: {2}): {3}")
    @MethodSource("concurrency")
    void concurrencyPolicy(Concurrency policy, RunState previous, boolean stopTried, Admission admission) {
        assertEquals(admission, CronTicks.admit(policy, previous, stopTried));
    }

    static Instant at(String time) {
        return Instant.parse("2024-03-04T" + time + (time.contains(".") ? "" : "") + "Z");
    }
}
