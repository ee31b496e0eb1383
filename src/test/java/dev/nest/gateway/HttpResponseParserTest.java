package dev.nest.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class HttpResponseParserTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void contentLengthBodyDropsHopByHopHeaders() throws Exception {
        byte[] r = b("HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nDate: x\r\nKeep-Alive: timeout=5\r\nContent-Length: 2\r\n\r\nok");
        HttpResponseParser p = new HttpResponseParser();
        p.reset(false);
        int pos = 0;
        for (int lim = 1; lim <= r.length; lim++) {
            pos = p.feed(r, pos, lim);
        }
        assertTrue(p.complete());
        assertEquals(201, p.status);
        assertEquals(List.of("Content-Type", "text/plain"), p.headers);
        assertArrayEquals(b("ok"), p.body);
        assertTrue(p.keepAlive);
    }

    @Test
    void chunkedAndCloseDelimitedBodies() throws Exception {
        HttpResponseParser p = new HttpResponseParser();
        p.reset(false);
        byte[] c = b("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
        p.feed(c, 0, c.length);
        assertTrue(p.complete());
        assertArrayEquals(b("abc"), p.body);

        p.reset(false);
        byte[] close = b("HTTP/1.0 200 OK\r\n\r\nuntil close");
        p.feed(close, 0, close.length);
        assertFalse(p.complete());
        assertTrue(p.closed());
        assertArrayEquals(b("until close"), p.body);
        assertFalse(p.keepAlive);
    }

    @Test
    void headAnd204HaveNoBody() throws Exception {
        HttpResponseParser p = new HttpResponseParser();
        p.reset(true);
        byte[] r = b("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n");
        p.feed(r, 0, r.length);
        assertTrue(p.complete());
        assertEquals(0, p.body.length);
        p.reset(false);
        byte[] n = b("HTTP/1.1 204 No Content\r\n\r\n");
        p.feed(n, 0, n.length);
        assertTrue(p.complete());
    }

    @Test
    void connectionCloseIsNotReused() throws Exception {
        HttpResponseParser p = new HttpResponseParser();
        p.reset(false);
        byte[] r = b("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        p.feed(r, 0, r.length);
        assertTrue(p.complete());
        assertFalse(p.keepAlive);
    }

    @Test
    void malformedStatusLineIsRefused() {
        HttpResponseParser p = new HttpResponseParser();
        p.reset(false);
        byte[] r = b("NOPE\r\n\r\n");
        assertThrows(HttpResponseParser.Malformed.class, () -> p.feed(r, 0, r.length));
    }
}
