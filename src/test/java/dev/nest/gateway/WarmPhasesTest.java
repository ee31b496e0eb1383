package dev.nest.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;

class WarmPhasesTest {
    @Test
    void isTheOrderedMapOfQueueThenExec() {
        Map<String, Double> expected = new LinkedHashMap<>();
        expected.put("queue", 0.25);
        expected.put("exec", 1.5);
        WarmPhases p = new WarmPhases(0.25, 1.5);
        assertEquals(expected, p);
        assertEquals(p, expected);
        assertEquals(expected.hashCode(), p.hashCode());
        assertEquals(expected.toString(), p.toString());
        assertEquals(List.of("queue", "exec"), List.copyOf(p.keySet()));
        assertEquals(List.of(0.25, 1.5), List.copyOf(p.values()));
        assertEquals(2, p.size());
    }

    @Test
    void readsByKey() {
        WarmPhases p = new WarmPhases(0, 3.0);
        assertEquals(0.0, p.get("queue"));
        assertEquals(3.0, p.get("exec"));
        assertNull(p.get("init"));
        assertNull(p.get(null));
        assertTrue(p.containsKey("exec"));
        assertFalse(p.containsKey("pool"));
    }

    @Test
    void isImmutableAndItsIteratorEnds() {
        WarmPhases p = new WarmPhases(1, 2);
        assertThrows(UnsupportedOperationException.class, () -> p.put("init", 1.0));
        Iterator<Map.Entry<String, Double>> it = p.entrySet().iterator();
        assertThrows(UnsupportedOperationException.class, () -> it.next().setValue(5.0));
        it.next();
        assertFalse(it.hasNext());
        assertThrows(NoSuchElementException.class, it::next);
        assertThrows(NoSuchElementException.class, it::next);
    }
}
