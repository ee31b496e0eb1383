package dev.nest.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PeerCredentialTest {
    @Test
    void ofSendsTheValueChecksWithTheVerifierAndHidesTheValue() {
        PeerCredential c = PeerCredential.of("X-Nest-Cluster-Auth", "v1", "v1"::equals);
        assertEquals("X-Nest-Cluster-Auth", c.headerName());
        assertEquals("v1", c.headerValue());
        assertTrue(c.verify("v1"));
        assertFalse(c.verify("v2"));
        assertFalse(c.verify(null), "an absent header is never accepted");
        assertFalse(c.toString().contains("v1"));
    }
}
