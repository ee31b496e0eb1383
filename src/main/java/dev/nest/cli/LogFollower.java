package dev.nest.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.common.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * {@code nest fn logs NAME -f}: reads the server's log stream ({@code GET /api/v1/logs?follow=true}, Server-Sent
 * Events) and prints each line as it comes; when the connection drops it reconnects with the last event's id
 * ({@code Last-Event-ID}), so no line is lost or repeated. Runs until interrupted (Ctrl-C) or the server refuses
 * (an error status, which ends it with the server's message).
 */
final class LogFollower {
    private final ApiClient api;
    private final PrintWriter out;
    private Optional<String> lastId = Optional.empty();

    LogFollower(ApiClient api, PrintWriter out) {
        this.api = api;
        this.out = out;
    }

    /** Follows {@code path} until interrupted. */
    void run(String path) {
        int failures = 0;
        while (!Thread.currentThread().isInterrupted()) {
            try (InputStream in = api.stream(path, lastId)) {
                failures = 0;
                read(in);
            } catch (IOException e) {
                failures++;
            }
            if (failures > 30) {
                throw new CliException("the log stream from " + api.base() + " kept failing; last id " + lastId.orElse("none"));
            }
            try {
                Thread.sleep(1_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Reads events until the stream ends; package-private for tests. */
    void read(InputStream in) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        StringBuilder data = new StringBuilder();
        Optional<String> id = Optional.empty();
        String line;
        while ((line = r.readLine()) != null) {
            if (line.isEmpty()) {
                id.ifPresent(i -> lastId = Optional.of(i));
                if (!data.isEmpty()) {
                    print(Json.mapper().readTree(data.toString()));
                }
                data.setLength(0);
                id = Optional.empty();
            } else if (line.startsWith("id:")) {
                id = Optional.of(line.substring(3).strip());
            } else if (line.startsWith("data:")) {
                data.append(data.isEmpty() ? "" : "\n").append(line.substring(5).stripLeading());
            } else if (line.startsWith(": unreachable ") && !line.endsWith(" none")) {
                out.println("# nodes not answering: " + line.substring(": unreachable ".length()));
                out.flush();
            }
        }
    }

    private void print(JsonNode l) {
        String inv = l.path("invocation").asText();
        out.println(l.path("at").asText() + " " + String.format("%-5s", l.path("level").asText().toUpperCase())
                + " " + (inv.isEmpty() ? "-" : inv) + " " + l.path("node").asText() + " " + l.path("line").asText());
        out.flush();
    }

    Optional<String> lastId() {
        return lastId;
    }
}
