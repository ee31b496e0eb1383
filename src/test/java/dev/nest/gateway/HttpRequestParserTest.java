package dev.nest.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HttpRequestParserTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static HttpRequestParser parser(long max) {
        HttpRequestParser p = new HttpRequestParser(max);
        p.reset();
        return p;
    }

    @Test
    void parsesHeadAndContentLengthBodyFedOneByteAtATime() throws Exception {
        byte[] req = b("POST /fn/hello/a?x=1 HTTP/1.1\r\nHost: h\r\nX-Custom:  v \r\nContent-Length: 5\r\n\r\nhello");
        HttpRequestParser p = parser(100);
        int pos = 0;
        for (int lim = 1; lim <= req.length; lim++) {
            pos = p.feed(req, pos, lim);
            if (lim < req.length) {
                assertFalse(p.complete(), "complete too early at " + lim);
            }
        }
        assertTrue(p.complete());
        assertEquals(req.length, pos);
        assertEquals("POST", p.method);
        assertEquals("/fn/hello/a?x=1", p.target);
        assertEquals(List.of("Host", "h", "X-Custom", "v"), p.headers);
        assertArrayEquals(b("hello"), p.body);
        assertTrue(p.keepAlive);
    }

    @Test
    void decodesChunkedBodies() throws Exception {
        byte[] req = b("PUT /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\nGET");
        HttpRequestParser p = parser(100);
        int pos = p.feed(req, 0, req.length);
        assertTrue(p.complete());
        assertArrayEquals(b("hello world"), p.body);
        assertEquals(req.length - 3, pos, "the next pipelined request is left in the buffer");
    }

    @Test
    void leavesPipelinedRequestsForTheNextRound() throws Exception {
        byte[] two = b("GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n");
        HttpRequestParser p = parser(100);
        int pos = p.feed(two, 0, two.length);
        assertTrue(p.complete());
        assertEquals("/a", p.target);
        p.reset();
        pos = p.feed(two, pos, two.length);
        assertTrue(p.complete());
        assertEquals("/b", p.target);
        assertEquals(two.length, pos);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "HTTP/1.0|                        |false",
        "HTTP/1.0|Connection: keep-alive\\r\\n|true",
        "HTTP/1.1|                        |true",
        "HTTP/1.1|Connection: close\\r\\n    |false",
    })
    void keepAliveFollowsVersionAndConnectionHeader(String version, String header, boolean keep) throws Exception {
        String h = header == null ? "" : header.trim().replace("\\r\\n", "\r\n");
        byte[] req = b("GET / " + version + "\r\nHost: h\r\n" + h + "\r\n");
        HttpRequestParser p = parser(100);
        p.feed(req, 0, req.length);
        assertTrue(p.complete());
        assertEquals(keep, p.keepAlive);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "POST / HTTP/1.1\\r\\nHost: h\\r\\nContent-Length: 101\\r\\n\\r\\n|413",
        "POST / HTTP/1.1\\r\\nContent-Length: x\\r\\n\\r\\n|400",
        "GARBAGE\\r\\n\\r\\n|400",
        "GET / HTTP/2.0\\r\\n\\r\\n|505",
        "POST / HTTP/1.1\\r\\nTransfer-Encoding: gzip\\r\\n\\r\\n|501",
        "POST / HTTP/1.1\\r\\nHost: h\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n65\\r\\n|413",
        "GET / HTTP/1.1\\r\\nNoColonHere\\r\\n\\r\\n|400",
        "POST / HTTP/1.1\\r\\nHost: h\\r\\nContent-Length: 3\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n|400",
        "POST / HTTP/1.1\\r\\nHost: h\\r\\nTransfer-Encoding: xchunked\\r\\n\\r\\n|501",
        "POST / HTTP/1.1\\r\\nHost: h\\r\\nTransfer-Encoding: gzip, chunked\\r\\n\\r\\n|501",
        "POST / HTTP/1.1\\r\\nHost: h\\r\\nTransfer-Encoding: chunked\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n|501",
        "POST / HTTP/1.1\\r\\nHost: h\\r\\nContent-Length: +5\\r\\n\\r\\n|400",
        "POST / HTTP/1.1\\r\\nHost: h\\r\\nContent-Length: 5,5\\r\\n\\r\\n|400",
        "POST / HTTP/1.1\\r\\nHost: h\\r\\nContent-Length: 5\\r\\nContent-Length: 6\\r\\n\\r\\n|400",
        "POST / HTTP/1.1\\r\\nHost: h\\r\\nContent-Length : 5\\r\\n\\r\\n|400",
        "GET / HTTP/1.1\\r\\nHost: h\\r\\nX(y): 1\\r\\n\\r\\n|400",
        "GET / HTTP/1.1\\r\\n\\r\\n|400",
        "GET / HTTP/1.1\\r\\nHost: a\\r\\nHost: b\\r\\n\\r\\n|400",
        "GET / HTTP/1.1\\r\\nHost: h\\r\\nX-A: 1\\r\\n  folded\\r\\n\\r\\n|400",
        "GET / HTTP/1.1\\r\\nHost: h\\r\\nX-A: a\u0007b\\r\\n\\r\\n|400",
        "GET / x HTTP/1.1\\r\\nHost: h\\r\\n\\r\\n|400",
        "POST / HTTP/1.1\\r\\nHost: h\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n3\\r\\nabcXY0\\r\\n\\r\\n|400",
        "POST / HTTP/1.1\\r\\nHost: h\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n+3\\r\\nabc\\r\\n0\\r\\n\\r\\n|400",
        "POST / HTTP/1.0\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n|400",
    })
    void refusesBadRequestsWithTheRightStatus(String raw, int status) {
        byte[] req = b(raw.replace("\\r\\n", "\r\n"));
        HttpRequestParser p = parser(100);
        HttpRequestParser.BadRequest e = assertThrows(HttpRequestParser.BadRequest.class, () -> p.feed(req, 0, req.length));
        assertEquals(status, e.status);
    }

    @Test
    void recognisesExpectContinue() throws Exception {
        byte[] req = b("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
        HttpRequestParser p = parser(100);
        p.feed(req, 0, req.length);
        assertTrue(p.headDone());
        assertTrue(p.expectContinue);
        assertFalse(p.complete());
    }
}
