package dev.nest.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ForwardedHeadersTest {
    private static final TrustedProxies PROXY = new TrustedProxies(List.of("10.0.0.0/8", "192.0.2.7", "fd00::/8"));

    private static Map<String, String> apply(String client, TrustedProxies trusted, String... headers) throws Exception {
        List<String> out = ForwardedHeaders.apply(new ArrayList<>(List.of(headers)), InetAddress.getByName(client), trusted);
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < out.size(); i += 2) {
            assertFalse(m.containsKey(out.get(i).toLowerCase()), "one " + out.get(i));
            m.put(out.get(i).toLowerCase(), out.get(i + 1));
        }
        return m;
    }

    @Test
    void anUntrustedClientsForwardingHeadersAreReplaced() throws Exception {
        Map<String, String> h = apply("198.51.100.1", PROXY, "Host", "api.example.com", "X-Forwarded-For", "1.2.3.4",
                "X-Forwarded-Proto", "https", "X-Forwarded-Host", "evil", "Forwarded", "for=1.2.3.4", "x-a", "b");
        assertEquals("api.example.com", h.get("host"));
        assertEquals("198.51.100.1", h.get("x-forwarded-for"));
        assertEquals("http", h.get("x-forwarded-proto"));
        assertEquals("api.example.com", h.get("x-forwarded-host"));
        assertEquals("for=198.51.100.1;proto=http;host=\"api.example.com\"", h.get("forwarded"));
        assertEquals("b", h.get("x-a"));
    }

    @Test
    void aTrustedProxysHeadersAreKeptAndThisHopAppended() throws Exception {
        Map<String, String> h = apply("10.1.2.3", PROXY, "Host", "internal:8080", "X-Forwarded-For", "1.2.3.4",
                "X-Forwarded-Proto", "https", "X-Forwarded-Host", "api.example.com", "Forwarded", "for=1.2.3.4");
        assertEquals("1.2.3.4, 10.1.2.3", h.get("x-forwarded-for"));
        assertEquals("https", h.get("x-forwarded-proto"));
        assertEquals("api.example.com", h.get("x-forwarded-host"));
        assertEquals("for=1.2.3.4, for=10.1.2.3;proto=http;host=\"internal:8080\"", h.get("forwarded"));
    }

    @Test
    void anIpv6ClientIsQuotedInForwarded() throws Exception {
        Map<String, String> h = apply("::1", TrustedProxies.NONE, "Host", "h");
        assertTrue(h.get("forwarded").startsWith("for=\"[0:0:0:0:0:0:0:1]\""), h.get("forwarded"));
    }

    @ParameterizedTest
    @CsvSource({
            "10.255.0.1,   true",
            "11.0.0.1,     false",
            "192.0.2.7,    true",
            "192.0.2.8,    false",
            "fd12::1,      true",
            "fe80::1,      false",
            "::ffff:10.0.0.1, true",
    })
    void trustsOnlyTheConfiguredAddresses(String address, boolean trusted) throws Exception {
        assertEquals(trusted, PROXY.trusts(InetAddress.getByName(address)));
    }

    @Test
    void aBadEntryNamesTheKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TrustedProxies(List.of("10.0.0.0/33")));
        assertTrue(e.getMessage().startsWith("gateway.trusted-proxies: '10.0.0.0/33'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new TrustedProxies(List.of("example.com")));
    }
}
