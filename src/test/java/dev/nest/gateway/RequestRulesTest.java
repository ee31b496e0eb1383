package dev.nest.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The framing rules over Netty's decoded heads, as a table of raw request heads and the status each gets. */
class RequestRulesTest {
    /** The status {@link RequestRules#check} gives the first request of {@code raw} (0: accepted). */
    private static int status(String raw) {
        EmbeddedChannel ch = new EmbeddedChannel(new RequestRules.Decoder());
        try {
            ch.writeInbound(Unpooled.copiedBuffer(raw.replace("|", "\r\n"), StandardCharsets.ISO_8859_1));
            Object first = ch.readInbound();
            assertTrue(first instanceof HttpRequest, "the decoder gave no head for " + raw);
            Optional<Refusal> r = RequestRules.check((HttpRequest) first, 100);
            ReferenceCountUtil.release(first);
            return r.map(x -> x.status).orElse(0);
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', textBlock = """
            # request, '|' for CRLF                                                   ; status
            GET /fn/a HTTP/1.1|Host: g||                                               ; 0
            GET /fn/a HTTP/1.0||                                                       ; 0
            POST /fn/a HTTP/1.1|Host: g|Content-Length: 3||abc                         ; 0
            POST /fn/a HTTP/1.1|Host: g|Transfer-Encoding: chunked||3|abc|0||          ; 0
            POST /fn/a HTTP/1.1|Host: g|Content-Length: 3|Transfer-Encoding: chunked|| ; 400
            POST /fn/a HTTP/1.1|Host: g|Transfer-Encoding: chunked|Content-Length: 3|| ; 400
            POST /fn/a HTTP/1.1|Host: g|Transfer-Encoding: gzip||                      ; 501
            POST /fn/a HTTP/1.1|Host: g|Transfer-Encoding: gzip, chunked||             ; 501
            POST /fn/a HTTP/1.0|Transfer-Encoding: chunked||                           ; 400
            POST /fn/a HTTP/1.1|Host: g|Content-Length: +3||abc                        ; 400
            POST /fn/a HTTP/1.1|Host: g|Content-Length: 3,3||abc                       ; 400
            POST /fn/a HTTP/1.1|Host: g|Content-Length: 101||                          ; 413
            GET /fn/a HTTP/1.1||                                                       ; 400
            GET /fn/a HTTP/1.1|Host: a|Host: b||                                       ; 400
            GET /fn/a HTTP/2.0|Host: g||                                               ; 505
            GET /fn/a HTTP/1.1|Bad Name: x|Host: g||                                   ; 400
            GET /fn/a HTTP/1.1|Content-Length : 0|Host: g||                            ; 400
            POST /fn/a HTTP/1.1|hOST: g|transfer-ENCODING:  Chunked ||3|abc|0||        ; 0
            POST /fn/a HTTP/1.1|host: g|CONTENT-LENGTH: 101||                          ; 413
            POST /fn/a HTTP/1.1|host: g|content-length: 3|content-length: 3||abc       ; 400
            POST /fn/a HTTP/1.1|Host: g|Transfer-Encoding: chunked|transfer-encoding: chunked|| ; 501
            GET /fn/a HTTP/1.1|HOST: a|host: b||                                       ; 400
            """)
    void refusesWhatRfc9112Refuses(String raw, int status) {
        assertEquals(status, status(raw.strip()), raw);
    }

    @Test
    void namesEveryTransferCodingItRefuses() {
        EmbeddedChannel ch = new EmbeddedChannel(new RequestRules.Decoder());
        try {
            ch.writeInbound(Unpooled.copiedBuffer("POST /fn/a HTTP/1.1\r\nHost: g\r\nTransfer-Encoding: gzip\r\n"
                    + "transfer-encoding: chunked\r\n\r\n", StandardCharsets.ISO_8859_1));
            HttpRequest r = ch.readInbound();
            assertEquals("Transfer-Encoding 'gzip, chunked' is not supported; only a single 'chunked' is",
                    RequestRules.check(r, 100).orElseThrow().getMessage());
            ReferenceCountUtil.release(r);
        } finally {
            ch.finishAndReleaseAll();
        }
    }
}
