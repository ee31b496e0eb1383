package dev.nest.function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class AliasTest {
    private static final FunctionId ID = FunctionId.of("default", "hello");

    private static Alias of(int... versionWeight) {
        TreeMap<Integer, Integer> w = new TreeMap<>();
        for (int i = 0; i < versionWeight.length; i += 2) {
            w.put(versionWeight[i], versionWeight[i + 1]);
        }
        return new Alias(w, Optional.empty());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            # point | version
            0       | 1
            89      | 1
            90      | 2
            99      | 2
            100     | 1
            -1      | 2
            """)
    void versionsOwnConsecutiveRangesInVersionOrder(int point, int version) {
        assertEquals(version, of(2, 10, 1, 90).pick(point));
    }

    @Test
    void everyPointOfTheHundredFallsToItsWeight() {
        Map<Integer, Integer> counts = new HashMap<>();
        Alias a = of(1, 50, 2, 25, 3, 25);
        for (int p = 0; p < 100; p++) {
            counts.merge(a.pick(p), 1, Integer::sum);
        }
        assertEquals(Map.of(1, 50, 2, 25, 3, 25), counts);
    }

    @Test
    void aGrowingNewerVersionKeepsTheKeysItHad() {
        for (int p = 0; p < 100; p++) {
            if (of(1, 90, 2, 10).pick(p) == 2) {
                assertEquals(2, of(1, 75, 2, 25).pick(p), "point " + p);
            }
        }
    }

    @Test
    void refusesWeightsThatDoNotSumToAHundredOrAreOutOfRange() {
        assertThrows(IllegalArgumentException.class, () -> of(1, 90, 2, 20));
        assertThrows(IllegalArgumentException.class, () -> of(1, 90));
        assertThrows(IllegalArgumentException.class, () -> of(1, 110, 2, -10));
        assertThrows(IllegalArgumentException.class, () -> of(0, 100));
        assertEquals(Map.of(1, 100), of(1, 100, 2, 0).weights());
    }

    @Test
    void primaryIsTheLargestShareAndOfEqualSharesTheLowestVersion() {
        assertEquals(2, of(1, 10, 2, 90).primary());
        assertEquals(1, of(1, 50, 2, 50).primary());
        assertEquals(3, of(3, 100).primary());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1", "12", "Beta", "-beta", "beta-", "b_eta", "be ta", "live/x", "a@b", "é"})
    void refusesNamesThatAreNotAliases(String name) {
        assertFalse(Alias.validName(name), name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"live", "beta", "b", "canary-2", "v2"})
    void acceptsAliasNames(String name) {
        assertTrue(Alias.validName(name), name);
    }

    @Test
    void aStickyPointIsStableAndSpreadsKeys() {
        assertEquals(Alias.point(ID, "user-1"), Alias.point(ID, "user-1"));
        int[] perBucket = new int[10];
        for (int i = 0; i < 10_000; i++) {
            perBucket[Alias.point(ID, "user-" + i) / 10]++;
        }
        for (int n : perBucket) {
            assertTrue(n > 800 && n < 1200, java.util.Arrays.toString(perBucket));
        }
    }

    @Test
    void stickyKeysComeFromAHeaderOrACookie() {
        Alias.Sticky h = Alias.Sticky.parse("header:X-User-Id");
        assertEquals(Optional.of("u1"), h.key(List.of("host", "x", "x-user-id", " u1 ")));
        assertEquals(Optional.empty(), h.key(List.of("x-user-id", "")));
        Alias.Sticky c = Alias.Sticky.parse("cookie:sid");
        assertEquals(Optional.of("abc"), c.key(List.of("Cookie", "a=1; sid=abc; b=2")));
        assertEquals(Optional.empty(), c.key(List.of("Cookie", "sidx=abc")));
        assertEquals("header:X-User-Id", h.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "header", "header:", "query:x", "header:a b", "cookie:a;b"})
    void refusesStickySettingsItCannotRead(String text) {
        assertThrows(IllegalArgumentException.class, () -> Alias.Sticky.parse(text));
    }
}
