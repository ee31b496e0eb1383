package dev.nest.async;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.function.AsyncSpec;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DestinationsTest {
    private static final Destinations ALLOW = new Destinations(List.of("hooks.example.com", "*.acme.io",
            "127.0.0.1:8443"));

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource({
            "https://hooks.example.com/nest, true",
            "http://HOOKS.example.com:8080/x, true",      // any port when the entry names none
            "https://evil-hooks.example.com/, false",
            "https://hooks.example.com.evil.io/, false",
            "https://a.acme.io/x, true",
            "https://deep.a.acme.io/x, true",
            "https://acme.io/x, false",                   // *.acme.io is its subdomains only
            "https://xacme.io/x, false",
            "https://127.0.0.1:8443/x, true",
            "https://127.0.0.1/x, false",                 // 443 is not 8443
            "http://127.0.0.1:8443@evil.io/x, false"})    // the host is evil.io
    void onlyHostsOnTheListAreCalled(String url, boolean allowed) {
        assertEquals(allowed, ALLOW.refusal(url).isEmpty(), ALLOW.refusal(url).orElse(""));
    }

    @Test
    void anEmptyListAllowsNoneAndSaysWhatToDo() {
        String why = new Destinations(List.of()).refusal("https://hooks.example.com/").orElseThrow();
        assertTrue(why.contains("async.destinations.allow") && why.contains("HTTP destinations are off"), why);
    }

    @Test
    void aSpecIsCheckedByItsKey() {
        AsyncSpec spec = new AsyncSpec(2, Duration.ofHours(1), 0, Optional.of("sink"),
                Optional.of("https://other.example.com/x"));
        var problems = ALLOW.problems(spec);
        assertEquals(1, problems.size(), problems.toString());
        assertEquals("async.on-failure", problems.get(0).key());
        assertEquals("https://other.example.com/x", problems.get(0).value());
        assertTrue(problems.get(0).allowed().contains("the host 'other.example.com'"), problems.toString());
        assertTrue(ALLOW.problems(new AsyncSpec(2, Duration.ofHours(1), 0, Optional.of("https://a.acme.io/ok"),
                Optional.of("f"))).isEmpty());
    }

    @Test
    void aBadEntryIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Destinations(List.of("https://hooks.example.com")));
        assertTrue(e.getMessage().startsWith("async.destinations.allow: 'https://hooks.example.com'"), e.getMessage());
    }
}
