package dev.nest.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SizesTest {
    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;
    private static final long GIB = 1024 * MIB;

    @ParameterizedTest(name = "''{0}'' -> {1}")
    @CsvSource(delimiter = '|', value = {
            "0        | 0",
            "512      | 512",
            "10B      | 10",
            "1KiB     | 1024",
            "512KiB   | 524288",
            "6MiB     | 6291456",
            "1GiB     | 1073741824",
            "3GiB     | 3221225472",
            "2KB      | 2048",
            "2MB      | 2097152",
            "2GB      | 2147483648",
            "4k       | 4096",
            "4m       | 4194304",
            "4g       | 4294967296",
            "' 4 MiB '| 4194304",
    })
    void parsesTheDocumentedForms(String text, long expected) {
        assertEquals(expected, Sizes.parse(text));
    }

    @ParameterizedTest(name = "''{0}'' is refused")
    @ValueSource(strings = {"", " ", "abc", "MiB", "1.5MiB", "-1", "-1KiB", "5TiB", "5 parsecs", "5mib", "5kib",
            "5 bytes", "1e6", "0x10", "1,000"})
    void refusesOtherFormsNamingTheAllowedForm(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sizes.parse(text));
        assertTrue(e.getMessage().contains("'" + text + "'"), "names the bad value: " + e.getMessage());
        assertTrue(e.getMessage().contains(Sizes.ALLOWED), "names the allowed form: " + e.getMessage());
    }

    @Test
    void refusesNullNamingTheAllowedForm() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sizes.parse(null));
        assertTrue(e.getMessage().contains(Sizes.ALLOWED), e.getMessage());
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "0, 0B",
            "1, 1B",
            "1023, 1023B",
            "1024, 1KiB",
            "1025, 1025B",
            "1536, 1536B",
            "16384, 16KiB",
            "1048576, 1MiB",
            "6291456, 6MiB",
            "1572864, 1536KiB",
            "1073741824, 1GiB",
            "3221225472, 3GiB",
            "1610612736, 1536MiB",
    })
    void formatsTheLargestExactUnit(long bytes, String expected) {
        assertEquals(expected, Sizes.format(bytes));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(longs = {0, 1, 1023, 1024, 1025, 4096, 1_000_000, 6 * 1024 * 1024, 1L << 30, (1L << 30) + 1,
            5L << 30, 1L << 40})
    void formatThenParseGivesTheSameSize(long bytes) {
        assertEquals(bytes, Sizes.parse(Sizes.format(bytes)));
    }

    @ParameterizedTest(name = "''{0}'' is refused")
    @ValueSource(strings = {"17179869184GiB", "8589934592GiB", "99999999999999999999", "9007199254740993KiB"})
    void refusesSizesThatDoNotFitInALong(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sizes.parse(text));
        assertTrue(e.getMessage().contains(Sizes.ALLOWED), e.getMessage());
    }
}
