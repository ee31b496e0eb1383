package dev.nest.async;

/**
 * Makes the {@link EventQueue} named in {@code async.queue}: the SPI a queue back end implements, found with
 * {@link java.util.ServiceLoader} among Nest's built-in providers ({@code h2}) and the plugins' (the {@code kafka}
 * plugin in {@code plugins/}).
 *
 * <p>{@link #open} validates {@link QueueContext#settings()} (the {@code async.<name>:} block of {@code nest.yaml})
 * and throws {@link IllegalArgumentException} naming the key ({@code async.<name>.<key>}), the value and what is
 * allowed; it throws {@link AsyncException} when the back end cannot be reached. It may block while it connects.
 */
public interface EventQueueProvider {
    /** The value of {@code async.queue} that selects this back end (lowercase letters, digits and dashes). */
    String name();

    /** Opens the queue; its {@link EventQueue#close} releases everything it holds. */
    EventQueue open(QueueContext context);
}
