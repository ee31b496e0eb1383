package dev.nest.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.async.NewEvent;
import dev.nest.auth.Role;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The peer stop route {@code POST /api/v1/invocations/{id}/stop}: admins and peers only; unknown, malformed and
 * finished ids change nothing; a replayed stop is harmless.
 */
class StopRoutesTest {
    private static final String ID = "00000000000000010abc";
    @TempDir
    Path dir;
    private AdminApiFixture api;

    @BeforeEach
    void start() {
        api = new AdminApiFixture(dir).start();
    }

    @AfterEach
    void close() {
        api.close();
    }

    private HttpResponse<String> stop(String id, String body, Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(api.uri("/api/v1/invocations/" + id + "/stop"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("content-type", "application/json");
        headers.forEach(b::header);
        return api.sendAsIs(b.build());
    }

    private Map<String, String> peer() {
        return Map.of(api.peer.headerName(), api.peer.headerValue());
    }

    private Map<String, String> token(Role role) {
        return Map.of("Authorization", "Bearer " + api.tokens.create("t-" + role.name().toLowerCase(), role,
                List.of("*"), Optional.empty()).secret().reveal());
    }

    @Test
    void onlyAdminsAndPeersMayStop() {
        api.stoppable.add(ID);
        assertEquals(401, stop(ID, "", Map.of()).statusCode(), "anonymous");
        assertEquals(401, stop(ID, "", Map.of(api.peer.headerName(), "forged")).statusCode(), "a forged credential");
        assertEquals(403, stop(ID, "", token(Role.DEVELOPER)).statusCode(), "a developer");
        assertTrue(api.stoppable.contains(ID), "nothing was stopped by a refused call");
        assertEquals(200, stop(ID, "", token(Role.ADMIN)).statusCode());
    }

    @Test
    void aPeerStopsAnInvocationThisNodeServesAndAReplayChangesNothing() {
        api.stoppable.add(ID);
        HttpResponse<String> r = stop(ID, "{\"reason\":\"replaced by the cron tick\"}", peer());
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().contains("\"outcome\":\"stopped\""), r.body());
        HttpResponse<String> again = stop(ID, "{\"reason\":\"replaced by the cron tick\"}", peer());
        assertEquals(404, again.statusCode(), "replayed: it no longer runs here");
    }

    @Test
    void unknownMalformedAndForeignIdsAre404() {
        assertEquals(404, stop(ID, "", peer()).statusCode(), "not held here (another node's, or never made)");
        assertEquals(404, stop("not-an-id", "", peer()).statusCode());
        assertEquals(404, stop("0".repeat(200), "", peer()).statusCode());
        assertEquals(404, stop("00000000000000010ABC", "", peer()).statusCode(), "upper case is not an id's form");
    }

    @Test
    void aBadReasonIs400NamingTheKey() {
        api.stoppable.add(ID);
        HttpResponse<String> r = stop(ID, "{\"reason\": 7}", peer());
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("reason"), r.body());
        assertEquals(400, stop(ID, "{\"reason\":\"" + "x".repeat(301) + "\"}", peer()).statusCode());
        assertEquals(400, stop(ID, "{not json", peer()).statusCode());
        assertTrue(api.stoppable.contains(ID));
    }

    @Test
    void aWaitingAsyncInvocationIsCancelledAndAFinishedOneIsLeftAlone() {
        NewEvent e = new NewEvent(ID, "default/job", "POST", "/", "", List.of(), new byte[0], Optional.empty(),
                Instant.now());
        api.asyncQueue.enqueue(e).join();
        HttpResponse<String> r = stop(ID, "", peer());
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().contains("\"outcome\":\"stopped\""), r.body());
        assertEquals("CANCELLED", api.asyncQueue.status(ID).orElseThrow().state().name());
        HttpResponse<String> again = stop(ID, "", peer());
        assertEquals(200, again.statusCode());
        assertTrue(again.body().contains("\"outcome\":\"finished\""), "idempotent: " + again.body());
    }
}
