package dev.nest.gateway;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * The phases of an invocation served by an instance that was already running: {@code queue} and then {@code exec},
 * in ms, in that order (what a {@code LinkedHashMap} of the two gives, and equal to it). Made on the loop thread for
 * every warm invocation's record, so it holds the two numbers and boxes them only when a consumer reads them (on the
 * consumer's thread). Immutable: the record goes to other threads.
 */
final class WarmPhases extends AbstractMap<String, Double> {
    private final double queue;
    private final double exec;

    WarmPhases(double queue, double exec) {
        this.queue = queue;
        this.exec = exec;
    }

    @Override
    public int size() {
        return 2;
    }

    @Override
    public boolean containsKey(Object key) {
        return "queue".equals(key) || "exec".equals(key);
    }

    @Override
    public Double get(Object key) {
        return "queue".equals(key) ? Double.valueOf(queue) : "exec".equals(key) ? Double.valueOf(exec) : null;
    }

    @Override
    public Set<Map.Entry<String, Double>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public int size() {
                return 2;
            }

            @Override
            public Iterator<Map.Entry<String, Double>> iterator() {
                return new Iterator<>() {
                    private int next;

                    @Override
                    public boolean hasNext() {
                        return next < 2;
                    }

                    @Override
                    public Map.Entry<String, Double> next() {
                        return switch (next++) {
                            case 0 -> Map.entry("queue", queue);
                            case 1 -> Map.entry("exec", exec);
                            default -> {
                                next = 2;
                                throw new NoSuchElementException();
                            }
                        };
                    }
                };
            }
        };
    }
}
