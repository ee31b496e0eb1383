package dev.nest.async;

import dev.nest.function.FunctionCatalog;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
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
    private volatile Dispatcher dispatcher;

    private AsyncInvocations(Function<Runnable, EventQueue> open, AsyncConfig config, FunctionCatalog catalog,
                             String gatewayHost, IntSupplier gatewayPort, Clock clock) {
        this.queue = open.apply(this::wake);
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
        return open(config, List.of(new H2QueueProvider()), "node", jdbcUrl, catalog, gatewayHost, gatewayPort, clock);
    }

    /**
     * Opens the queue of the provider named by {@code config.queue()} (Nest's {@code h2}, or a plugin's such as
     * {@code kafka}) with the {@code async.<queue>:} settings.
     *
     * @param providers the queue back ends Nest and its plugins provide
     * @throws IllegalArgumentException when no provider has that name, or its settings are wrong
     * @throws AsyncException when the queue cannot be opened
     */
    public static AsyncInvocations open(AsyncConfig config, List<EventQueueProvider> providers, String nodeId,
                                        String jdbcUrl, FunctionCatalog catalog, String gatewayHost,
                                        IntSupplier gatewayPort, Clock clock) {
        EventQueueProvider provider = providers.stream().filter(p -> p.name().equals(config.queue())).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("async.queue: '" + config.queue() + "' is not available; "
                        + "the queue back ends here are " + providers.stream().map(EventQueueProvider::name).sorted().toList()
                        + (config.queue().equals("h2") ? "" : " (a back end other than h2 comes from a plugin: put its "
                        + "jar in plugins-dir, and see GET /health for plugins that failed to load)")));
        return new AsyncInvocations(wake -> provider.open(new QueueContext(config.settings(), nodeId, jdbcUrl, clock,
                wake)), config, catalog, gatewayHost, gatewayPort, clock);
    }

    private void wake() {
        Dispatcher d = dispatcher;
        if (d != null) { // a queue may call it while it opens
            d.wake();
        }
    }

    /** Starts delivering events. */
    public void start() {
        dispatcher.start();
    }

    /** What stops a delivery under way when its event is cancelled (the gateway's {@code stop}). */
    public void stopsWith(Dispatcher.Stopper stopper) {
        dispatcher.stopsWith(stopper);
    }

    /** Where the gateway hands async invocation requests. */
    public AsyncIngress ingress() {
        return ingress;
    }

    /** What the admin API shows and redrives. */
    public AsyncLedger ledger() {
        return AsyncLedger.of(queue, this::wake, (id, reason) -> dispatcher.cancel(id, reason));
    }

    @Override
    public void close() {
        dispatcher.close();
        queue.close();
    }
}
