package dev.nest.trigger;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nest.trigger.StopResult.Outcome;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StopResultTest {
    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource({
            "'', UNKNOWN",
            "UNKNOWN UNKNOWN, UNKNOWN",
            "UNKNOWN STOPPED UNREACHABLE, STOPPED",          // the node that ran it stopped it
            "UNREACHABLE UNKNOWN, UNREACHABLE",              // it may run on the node that did not answer
            "NOT_STOPPED UNREACHABLE, NOT_STOPPED",
            "FINISHED UNKNOWN, FINISHED",
            "FINISHED UNREACHABLE, UNREACHABLE",
            "NOT_STOPPED STOPPED, STOPPED"})                 // a shared queue: one node delivers it
    void combiningTheAnswersOfSeveralNodes(String answers, Outcome combined) {
        List<StopResult> rs = answers.isBlank() ? List.of() : Arrays.stream(answers.split(" "))
                .map(o -> StopResult.of(Outcome.valueOf(o), o)).toList();
        assertEquals(combined, StopResult.combine(rs).outcome());
    }

    @ParameterizedTest(name = "{0} over: {1}")
    @CsvSource({"STOPPED, true", "FINISHED, true", "UNKNOWN, true", "NOT_STOPPED, false", "UNREACHABLE, false"})
    void whetherARunIsOver(Outcome o, boolean over) {
        assertEquals(over, o.over());
    }
}
