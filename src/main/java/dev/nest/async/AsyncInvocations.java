package dev.nest.async;

import dev.nest.function.FunctionCatalog;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Random;
import java.util.function.IntSupplier;

/**
 * The async module as one component for the composition root: the {@link EventQueue} ({@code async.queue}), the
 * {@link AsyncIngress} the gateway hands async requests to, the {@link Dispatcher} that delivers them through the
 * gateway over loopback ({@link LoopbackInvoker}) and the {@link AsyncLedger} the admin API reads.
 *
 * <p>Lifecycle: {@link #open} opens the queue (events a previous process left are due again); {@link #start}
 * starts delivering, once the gateway listens; {@link #close} stops the dispatcher, then the queue (stored events
 * stay for the next start). Threads: all methods from any thread.
 */
public final class AsyncInvocations implements AutoCloseable {
    private final EventQueue queue;
    private final AsyncIngress ingress;
    private final Dispatcher dispatcher;

    private AsyncInvocations(EventQueue queue, AsyncConfig config, FunctionCatalog catalog, String gatewayHost,
                             IntSupplier gatewayPort, Clock clock) {
        this.queue = queue;
        this.ingress = new AsyncIngress(queue, config, clock, this::wake);
        Random random = new SecureRandom();
        this.dispatcher = new Dispatcher(queue, new LoopbackInvoker(gatewayHost, gatewayPort, ingress, clock),
                f -> catalog.get(FunctionId.parse(f)).flatMap(FunctionRecord::liveVersion), config, clock,
                random::nextDouble);
    }

    /**
     * Opens the queue named by {@code config.queue()} in the node's H2 database.
     *
     * @param jdbcUrl     the node store's database ({@code NodeStore#jdbcUrl()})
     * @param gatewayHost the address the gateway listens on ({@code server.host}; a wildcard means loopback)
     * @param gatewayPort the port the gateway listens on (deliveries go to {@code 127.0.0.1:gatewayPort}); read at
     *                    each delivery, so a gateway bound later (port 0) works
     * @throws AsyncException when the queue cannot be opened
     */
    public static AsyncInvocations open(AsyncConfig config, String jdbcUrl, FunctionCatalog catalog,
                                        String gatewayHost, IntSupplier gatewayPort, Clock clock) {
        return new AsyncInvocations(H2EventQueue.open(jdbcUrl, clock), config, catalog, gatewayHost, gatewayPort, clock);
    }

    private void wake() {
        dispatcher.wake();
    }

    /** Starts delivering events. */
    public void start() {
        dispatcher.start();
    }

    /** Where the gateway hands async invocation requests. */
    public AsyncIngress ingress() {
        return ingress;
    }

    /** What the admin API shows and redrives. */
    public AsyncLedger ledger() {
        return AsyncLedger.of(queue, this::wake);
    }

    @Override
    public void close() {
        dispatcher.close();
        queue.close();
    }
}
