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

/** {@code nest fn instances NAME} against a fake server on a loopback port: which instances are burst workers. */
class InstancesCommandTest {
    private HttpServer server;
    private final BlockingQueue<String> seen = new LinkedBlockingQueue<>();
    private String url;
    private static final String ANSWER = """
            [{"id":"busy-1-a","function":"shop/busy","version":3,"state":"READY","inFlight":1,"served":40,
              "hostPod":"busy-1-a","merged":false,"placement":"dedicated"},
             {"id":"busy-1-b","function":"shop/busy","version":3,"state":"READY","inFlight":0,"served":2,
              "hostPod":"merged-nodejs-shop-7","merged":true,"placement":"burst"},
             {"id":"busy-1-c","function":"shop/busy","version":3,"state":"READY","inFlight":0,"served":1,
              "hostPod":"merged-nodejs-shop-7","merged":true}]
            """;

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
        byte[] body = ANSWER.getBytes(StandardCharsets.UTF_8);
        x.sendResponseHeaders(200, body.length);
        x.getResponseBody().write(body);
        x.close();
    }

    @Test
    void listsEachInstanceWithItsPlacementAndPod() throws InterruptedException {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new FnCommand());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        assertEquals(0, cl.execute("instances", "busy", "-n", "shop", "--server", url, "--token", "t"), err.toString());
        assertEquals("GET /api/v1/functions/busy/instances?namespace=shop", seen.poll(5, TimeUnit.SECONDS));
        String[] lines = out.toString().split("\n");
        assertTrue(lines[0].contains("PLACEMENT") && lines[0].contains("POD"), out.toString());
        assertTrue(lines[1].contains("busy-1-a") && lines[1].contains("dedicated"), out.toString());
        assertTrue(lines[2].contains("busy-1-b") && lines[2].contains("burst")
                && lines[2].contains("merged-nodejs-shop-7"), out.toString());
        assertTrue(lines[3].contains("busy-1-c") && lines[3].contains("merged"), "an older server without placement: "
                + out.toString());
    }
}
