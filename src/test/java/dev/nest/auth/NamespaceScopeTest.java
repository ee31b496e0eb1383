package dev.nest.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.common.NestException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class NamespaceScopeTest {

    @ParameterizedTest(name = "{0} ~ {1} -> {2}")
    @CsvSource({
            "*,        default,    true",
            "*,        a,          true",
            "shop,     shop,       true",
            "shop,     shops,      false",
            "shop,     sho,        false",
            "team-*,   team-a,     true",
            "team-*,   team-,      true",
            "team-*,   team,       false",
            "team-*,   xteam-a,    false",
            "*-prod,   web-prod,   true",
            "*-prod,   web-prod-2, false",
            "a*b*c,    abc,        true",
            "a*b*c,    axxbyyc,    true",
            "a*b*c,    axxbyy,     false",
            "a**,      a,          true",
            "*a*,      bab,        true",
            "*a*,      bbb,        false",
    })
    void globsMatch(String glob, String namespace, boolean expected) {
        assertEquals(expected, NamespaceScope.matches(glob, namespace));
    }

    @Test
    void aScopeIsNormalized() {
        assertEquals(List.of("a", "b"), NamespaceScope.validate("namespaces", List.of("a", "b", "a")));
        assertEquals(List.of("*"), NamespaceScope.validate("namespaces", List.of("a", "*")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Shop", "a/b", "-a", "a-", "a b", "ns.x"})
    void invalidEntriesNameTheKeyTheValueAndTheAllowedForms(String entry) {
        NestException e = assertThrows(NestException.class, () -> NamespaceScope.validate("namespaces", List.of(entry)));
        assertEquals(400, e.status());
        assertTrue(e.detail().contains("key 'namespaces'") && e.detail().contains("'" + entry + "'")
                && e.detail().contains("allowed"), e.detail());
    }

    @Test
    void anEmptyScopeIsRefused() {
        assertThrows(NestException.class, () -> NamespaceScope.validate("namespaces", List.of()));
    }
}
