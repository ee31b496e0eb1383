package dev.nest.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.common.NestException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ExpiryTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-01T10:00:00Z"), ZoneOffset.UTC);

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "30d,                       2026-12-31T10:00:00Z",
            "12h,                       2026-12-01T22:00:00Z",
            "90m,                       2026-12-01T11:30:00Z",
            "1.5d,                      2026-12-02T22:00:00Z",
            "P30D,                      2026-12-31T10:00:00Z",
            "p30d,                      2026-12-31T10:00:00Z",
            "PT12H,                     2026-12-01T22:00:00Z",
            "P1DT12H,                   2026-12-02T22:00:00Z",
            "P1Y,                       2027-12-01T10:00:00Z",
            "P1M,                       2027-01-01T10:00:00Z",
            "2027-01-01T00:00:00Z,      2027-01-01T00:00:00Z",
            "2027-01-01T09:00:00+02:00, 2027-01-01T07:00:00Z",
            "2027-01-01,                2027-01-01T00:00:00Z",
    })
    void parsesDurationsAndInstants(String value, Instant expected) {
        assertEquals(Optional.of(expected), Expiry.parse("expires", value, CLOCK));
    }

    @ParameterizedTest
    @ValueSource(strings = {"never", "NEVER", "none", "", "  "})
    void neverIsEmpty(String value) {
        assertEquals(Optional.empty(), Expiry.parse("expires", value, CLOCK));
    }

    @ParameterizedTest
    @ValueSource(strings = {"30x", "soon", "P", "PT", "P1X", "2027-13-01", "2027-01-01T25:00:00Z", "-5d", "30 days"})
    void invalidValuesNameTheKeyTheValueAndTheAllowedForms(String value) {
        NestException e = assertThrows(NestException.class, () -> Expiry.parse("expires", value, CLOCK));
        assertEquals(400, e.status());
        assertTrue(e.detail().startsWith("key 'expires': value '" + value + "' is not valid; allowed: "), e.detail());
        assertTrue(e.detail().contains(Expiry.ALLOWED), e.detail());
    }

    @ParameterizedTest
    @ValueSource(strings = {"0d", "2026-12-01T10:00:00Z", "2020-01-01", "P-1D"})
    void theExpiryMustLieAhead(String value) {
        NestException e = assertThrows(NestException.class, () -> Expiry.parse("expires", value, CLOCK));
        assertTrue(e.detail().startsWith("key 'expires': value '" + value + "' is not after now (2026-12-01T10:00:00Z)"),
                e.detail());
    }
}
