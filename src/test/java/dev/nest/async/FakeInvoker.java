package dev.nest.async;

import dev.nest.function.FunctionVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** An invoker whose deliveries the test completes by hand. */
final class FakeInvoker implements Invoker {
    record Delivery(Event event, FunctionVersion version, CompletableFuture<Outcome> outcome) {
    }

    final List<Delivery> deliveries = new ArrayList<>();

    @Override
    public synchronized CompletableFuture<Outcome> deliver(Event event, FunctionVersion version) {
        Delivery d = new Delivery(event, version, new CompletableFuture<>());
        deliveries.add(d);
        return d.outcome();
    }

    synchronized List<Delivery> open() {
        return deliveries.stream().filter(d -> !d.outcome().isDone()).toList();
    }

    synchronized List<Delivery> of(String function) {
        return deliveries.stream().filter(d -> d.event().function().equals(function)).toList();
    }
}
