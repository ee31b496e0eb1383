package dev.nest.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code nest fn report NAME} against a fake server on a loopback port. */
class ReportCommandTest {
    private HttpServer server;
    private final BlockingQueue<String> seen = new LinkedBlockingQueue<>();
    private volatile String answer = "{}";
    private String url;

    @BeforeEach
    void setUp() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
        url = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void tearDown() {
        server.stop(0);
    }

    private void handle(HttpExchange x) throws IOException {
        seen.add(x.getRequestMethod() + " " + x.getRequestURI());
        x.getResponseHeaders().add("Content-Type", "application/json");
        byte[] body = answer.getBytes(StandardCharsets.UTF_8);
        x.sendResponseHeaders(200, body.length);
        x.getResponseBody().write(body);
        x.close();
    }

    private String run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new FnCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        assertEquals(0, cl.execute(args), err.toString());
        return out.toString();
    }

    @Test
    void printsTheTotalsAndOnRequestTheSeries() throws Exception {
        answer = """
                {"function":"cart","namespace":"shop","window":"15m","from":"2026-01-01T00:00:00Z",
                 "until":"2026-01-01T00:15:00Z","bucketSeconds":60,"partial":true,"unreachable":["n3"],
                 "totals":{"requests":200,"errors":3,"errorRate":0.015,"throttles":4,"p50":12.5,"p95":80.25,
                  "p99":412.0,"coldStarts":2,"coldStartRate":0.01,"initP50":150.0,"maxConcurrency":7,"instances":3,
                  "queueDepth":0,"queueAgeSeconds":0},
                 "series":[{"at":"2026-01-01T00:14:00Z","requests":20,"errors":1,"throttles":0,"p50":11.0,"p95":70.0,
                  "p99":99.5,"coldStarts":0,"maxConcurrency":2,"instances":1}]}
                """;
        String out = run("report", "cart", "-n", "shop", "--window", "15m", "--series", "--server", url);
        assertEquals("GET /api/v1/functions/cart/report?window=15m&namespace=shop", seen.poll(10, TimeUnit.SECONDS));
        assertTrue(out.contains("shop/cart over 15m"), out);
        assertTrue(out.contains("partial: no answer from [\"n3\"]"), out);
        assertTrue(out.contains("requests 200  errors 3 (1.50%)  throttles 4"), out);
        assertTrue(out.contains("p50 12.5 ms  p95 80.3 ms  p99 412.0 ms"), out);
        assertTrue(out.contains("cold starts 2 (1.00%)  init p50 150.0 ms"), out);
        assertTrue(out.contains("2026-01-01T00:14:00Z") && out.contains("99.5"), out);
    }

    @Test
    void theWindowDefaultsToAnHour() throws Exception {
        answer = "{\"totals\":{},\"series\":[]}";
        run("report", "cart", "--server", url);
        assertEquals("GET /api/v1/functions/cart/report?window=1h&namespace=default", seen.poll(10, TimeUnit.SECONDS));
    }
}
