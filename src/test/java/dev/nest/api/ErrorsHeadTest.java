package dev.nest.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.common.NestException;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * An error answered to HEAD carries its length but no body: on a kept-alive connection (the gateway's pooled one to
 * the admin server) a body would be read as the next answer.
 */
class ErrorsHeadTest {
    @Test
    void anErrorToHeadHasNoBodySoTheNextAnswerOnTheConnectionIsIntact() throws Exception {
        HttpRouting.Builder routing = HttpRouting.builder();
        Errors.register(routing);
        routing.head("/thing", (req, res) -> {
            throw NestException.notFound("thing", "no such thing here");
        });
        routing.get("/thing", (req, res) -> {
            throw NestException.notFound("thing", "no such thing here");
        });
        WebServer server = WebServer.builder().host("127.0.0.1").port(0).addRouting(routing).build().start();
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write("HEAD /thing HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String head = readHead(in);
            assertTrue(head.startsWith("HTTP/1.1 404"), head);
            assertTrue(head.toLowerCase().contains("content-length: "), head);
            out.write("GET /thing HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String next = readHead(in);
            // a body left after the HEAD answer would come first here
            assertTrue(next.startsWith("HTTP/1.1 404"), next);
            int length = Integer.parseInt(next.toLowerCase().split("content-length: ")[1].split("\r\n")[0].trim());
            String body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
            assertTrue(body.contains("no such thing here"), body);
        } finally {
            server.stop();
        }
    }

    /** Reads up to and including the blank line that ends an answer's head. */
    private static String readHead(InputStream in) throws Exception {
        StringBuilder b = new StringBuilder();
        while (!b.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                break;
            }
            b.append((char) c);
        }
        return b.toString();
    }

}
