package dev.nest.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class AnswerHeadersTest {
    @ParameterizedTest
    @CsvSource({"x-nest-error,true", "X-Nest-Instance-Health,true", "x-nest-,true", "Connection,true",
            "keep-alive,true", "Content-Length,true", "transfer-encoding,true", "content-type,false", "x-nest,false",
            "x-forwarded-for,false", "date,false"})
    void dropsNestAndFramingHeaders(String name, boolean dropped) {
        assertEquals(dropped, AnswerHeaders.dropped(name));
    }

    @Test
    void stripsInPlaceKeepingTheRestInOrder() {
        HttpHeaders h = new DefaultHttpHeaders();
        h.add("Content-Type", "text/plain");
        h.add("X-Nest-Error", "boom");
        h.add("Connection", "keep-alive");
        h.add("Keep-Alive", "timeout=5");
        h.add("Set-Cookie", "a=1");
        h.add("Content-Length", "5");
        h.add("x-nest-instance-health", "ok");
        h.add("Set-Cookie", "b=2");
        HttpHeaders out = AnswerHeaders.strip(h);
        assertEquals(h, out);
        List<String> kept = new ArrayList<>();
        for (Map.Entry<String, String> e : out) {
            kept.add(e.getKey() + ": " + e.getValue());
        }
        assertEquals(List.of("Content-Type: text/plain", "Set-Cookie: a=1", "Set-Cookie: b=2"), kept);
    }
}
