package dev.nest.async;

import dev.nest.function.FunctionVersion;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** An invoker whose deliveries the test completes by hand. */
final class FakeInvoker implements Invoker {
    record Delivery(Event event, FunctionVersion version, CompletableFuture<Outcome> outcome) {
    }

    final List<Delivery> deliveries = new ArrayList<>();
    private final BlockingQueue<Delivery> arrivals = new LinkedBlockingQueue<>();

    @Override
    public synchronized CompletableFuture<Outcome> deliver(Event event, FunctionVersion version) {
        Delivery d = new Delivery(event, version, new CompletableFuture<>());
        deliveries.add(d);
        arrivals.add(d);
        return d.outcome();
    }

    /** The next delivery made, waiting for it at most {@code bound}. */
    Delivery next(Duration bound) throws InterruptedException {
        Delivery d = arrivals.poll(bound.toMillis(), TimeUnit.MILLISECONDS);
        if (d == null) {
            throw new AssertionError("no delivery within " + bound);
        }
        return d;
    }

    synchronized List<Delivery> open() {
        return deliveries.stream().filter(d -> !d.outcome().isDone()).toList();
    }

    synchronized List<Delivery> of(String function) {
        return deliveries.stream().filter(d -> d.event().function().equals(function)).toList();
    }
}
