package dev.nest.sidecar;

import static dev.nest.sidecar.AfterInvocation.HostAnswer.ANSWERED;
import static dev.nest.sidecar.AfterInvocation.HostAnswer.FAILED;
import static dev.nest.sidecar.AfterInvocation.HostAnswer.NO_ANSWER_BY_DEADLINE;
import static dev.nest.sidecar.AfterInvocation.KEEP;
import static dev.nest.sidecar.AfterInvocation.RECYCLE;
import static dev.nest.sidecar.AfterInvocation.RETIRE;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class AfterInvocationTest {
    record Row(String why, AfterInvocation.HostAnswer answer, int status, String health, AfterInvocation expected) {
    }

    @Test
    void recyclesOnlyWhatTheHostCouldNotEndItself() {
        List<Row> table = List.of(
                new Row("a normal answer", ANSWERED, 200, "", KEEP),
                new Row("the host ended the invocation at its deadline", ANSWERED, 504, "", KEEP),
                new Row("a function error", ANSWERED, 500, "", KEEP),
                new Row("a function's own 503", ANSWERED, 503, "", KEEP),
                new Row("a timeout whose thread ignored the interruption", ANSWERED, 504, "unhealthy", RETIRE),
                new Row("a later answer of an unhealthy instance", ANSWERED, 200, "unhealthy", RETIRE),
                new Row("case and spaces do not matter", ANSWERED, 200, " Unhealthy ", RETIRE),
                new Row("a value that says nothing", ANSWERED, 200, "healthy", KEEP),
                new Row("an unknown value", ANSWERED, 200, "tired", KEEP),
                new Row("no answer by the deadline and the grace (a blocked event loop)", NO_ANSWER_BY_DEADLINE, 0, "", RECYCLE),
                new Row("the connection failed mid-request", FAILED, 0, "", RECYCLE),
                new Row("the status does not matter without an answer", FAILED, 200, "", RECYCLE));
        for (Row r : table) {
            assertEquals(r.expected(), AfterInvocation.decide(r.answer(), r.status(), r.health()), r.why());
        }
    }
}
