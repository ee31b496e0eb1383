package dev.nest.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LogFollowerTest {
    @Test
    void printsEachEventKeepsTheLastIdAndIgnoresComments() throws IOException {
        String stream = ": following\n\n"
                + "id: abc\ndata: {\"at\":\"2025-06-01T12:00:01Z\",\"function\":\"default/a\",\"version\":2,"
                + "\"invocation\":\"inv1\",\"stream\":\"stdout\",\"line\":\"hello\",\"node\":\"n1\",\"level\":\"info\"}\n\n"
                + ": keep-alive\n\n"
                + ": unreachable n2\n\n"
                + "id: def\n\n"
                + "id: partial-event-without-blank-line\ndata: {\"line\":\"cut\"}\n";
        StringWriter text = new StringWriter();
        LogFollower f = new LogFollower(new ApiClient("http://localhost:1"), new PrintWriter(text));
        f.read(new ByteArrayInputStream(stream.getBytes(StandardCharsets.UTF_8)));
        assertEquals("2025-06-01T12:00:01Z INFO  inv1 n1 hello\n# nodes not answering: n2\n",
                text.toString().replace(System.lineSeparator(), "\n"));
        assertEquals(Optional.of("def"), f.lastId(), "an id-only event moves the position; a cut event does not");
    }
}
