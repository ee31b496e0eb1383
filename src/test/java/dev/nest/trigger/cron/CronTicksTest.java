package dev.nest.trigger.cron;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nest.function.CronExpression;
import dev.nest.trigger.InvocationSink.RunState;
import dev.nest.trigger.StopResult.Outcome;
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
                        Misfire.FIRE_ONCE, 0, "10:00:00", true, 2),
                Arguments.of("per second, ten hours down: missed ticks counted up to the cap", "* * * * * *",
                        "00:00:00", "10:00:00.200", Misfire.FIRE_ONCE, 0, "10:00:00", true, CronTicks.MAX_COUNTED),
                Arguments.of("every 2 s, ten hours down, skip: the cap plus the late latest", "*/2 * * * * *",
                        "00:00:00", "10:00:03.500", Misfire.SKIP, 0, "10:00:02", false, CronTicks.MAX_COUNTED + 1));
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
        Optional<Outcome> none = Optional.empty();
        return Stream.of(
                Arguments.of(Concurrency.ALLOW, RunState.RUNNING, none, Admission.FIRE),
                Arguments.of(Concurrency.ALLOW, RunState.WAITING, none, Admission.FIRE),
                Arguments.of(Concurrency.ALLOW, RunState.FINISHED, none, Admission.FIRE),
                Arguments.of(Concurrency.ALLOW, RunState.UNKNOWN, none, Admission.FIRE),
                Arguments.of(Concurrency.FORBID, RunState.RUNNING, none, Admission.SKIP),
                Arguments.of(Concurrency.FORBID, RunState.WAITING, none, Admission.SKIP),
                Arguments.of(Concurrency.FORBID, RunState.FINISHED, none, Admission.FIRE),
                Arguments.of(Concurrency.FORBID, RunState.UNKNOWN, none, Admission.FIRE),
                Arguments.of(Concurrency.REPLACE, RunState.RUNNING, none, Admission.REPLACE),
                Arguments.of(Concurrency.REPLACE, RunState.WAITING, none, Admission.REPLACE),
                // after a failover the previous run is not in this node's ledger: its node is asked
                Arguments.of(Concurrency.REPLACE, RunState.UNKNOWN, none, Admission.REPLACE),
                Arguments.of(Concurrency.REPLACE, RunState.FINISHED, none, Admission.FIRE),
                Arguments.of(Concurrency.REPLACE, RunState.FINISHED, Optional.of(Outcome.NOT_STOPPED), Admission.FIRE),
                Arguments.of(Concurrency.REPLACE, RunState.RUNNING, Optional.of(Outcome.STOPPED), Admission.FIRE),
                Arguments.of(Concurrency.REPLACE, RunState.WAITING, Optional.of(Outcome.FINISHED), Admission.FIRE),
                Arguments.of(Concurrency.REPLACE, RunState.UNKNOWN, Optional.of(Outcome.STOPPED), Admission.FIRE),
                Arguments.of(Concurrency.REPLACE, RunState.UNKNOWN, Optional.of(Outcome.FINISHED), Admission.FIRE),
                Arguments.of(Concurrency.REPLACE, RunState.UNKNOWN, Optional.of(Outcome.UNKNOWN), Admission.FIRE),
                Arguments.of(Concurrency.REPLACE, RunState.RUNNING, Optional.of(Outcome.NOT_STOPPED), Admission.SKIP),
                Arguments.of(Concurrency.REPLACE, RunState.WAITING, Optional.of(Outcome.NOT_STOPPED), Admission.SKIP),
                Arguments.of(Concurrency.REPLACE, RunState.RUNNING, Optional.of(Outcome.UNREACHABLE), Admission.SKIP),
                Arguments.of(Concurrency.REPLACE, RunState.UNKNOWN, Optional.of(Outcome.UNREACHABLE), Admission.SKIP),
                Arguments.of(Concurrency.REPLACE, RunState.UNKNOWN, Optional.of(Outcome.NOT_STOPPED), Admission.SKIP));
    }

    @ParameterizedTest(name = "{0} with the previous run {1} (stop: {2}): {3}")
    @MethodSource("concurrency")
    void concurrencyPolicy(Concurrency policy, RunState previous, Optional<Outcome> stop, Admission admission) {
        assertEquals(admission, CronTicks.admit(policy, previous, stop));
    }

    static Instant at(String time) {
        return Instant.parse("2024-03-04T" + time + (time.contains(".") ? "" : "") + "Z");
    }
}
