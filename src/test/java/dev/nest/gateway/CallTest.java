package dev.nest.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The decisions of one invocation: whether a failed request may go to another instance, and its deadline. */
class CallTest {
    private static IOException failure(String kind) {
        return switch (kind) {
            case "refused" -> new ConnectException("refused");
            case "nothing-sent" -> new Upstream.NothingSent(new IOException("broken pipe"));
            case "mid-request" -> new EOFException("closed before the response was complete");
            default -> throw new IllegalArgumentException(kind);
        };
    }

    @ParameterizedTest
    @CsvSource({
            "refused,      POST,    true",
            "nothing-sent, POST,    true",
            "nothing-sent, PATCH,   true",
            "mid-request,  POST,    false",
            "mid-request,  PATCH,   false",
            "mid-request,  GET,     true",
            "mid-request,  HEAD,    true",
            "mid-request,  OPTIONS, true",
            "mid-request,  PUT,     true",
            "mid-request,  DELETE,  true",
    })
    void sendsToAnotherInstanceOnlyWhatMayBeRepeated(String kind, String method, boolean retry) {
        assertEquals(retry, Call.mayRetry(failure(kind), method));
    }

    @ParameterizedTest
    @CsvSource({
            // waited ms, timeout ms, deadline after the start ms
            "0,    1000, 1000",
            "3000, 1000, 4000",
            "999,  50,   1049",
    })
    void theWholeTimeoutIsAheadOfTheRequestWhenItIsSent(long waitedMillis, long timeoutMillis, long expected) {
        Instant started = Instant.parse("2026-01-02T03:04:05Z");
        long t0 = 1_000_000_000L;
        assertEquals(started.toEpochMilli() + expected, Call.executionDeadlineEpochMillis(started, t0,
                t0 + waitedMillis * 1_000_000, Duration.ofMillis(timeoutMillis)));
    }

    @ParameterizedTest(name = "ended {0}, forwarded {1}, leased {2}, waiting {3}: {4}")
    @CsvSource({
            "true, false, true, false, NONE",
            "true, true, false, false, NONE",
            "false, true, false, false, PEER",
            "false, false, true, false, DRAIN",
            "false, false, true, true, DRAIN",
            "false, false, false, true, WITHDRAW",
            "false, false, false, false, NONE"})
    void whatAStopDoesDependsOnWhereTheCallIs(boolean ended, boolean forwarded, boolean leased, boolean waiting,
                                              Call.StopAction action) {
        assertEquals(action, Call.stopAction(ended, forwarded, leased, waiting));
    }
}
