package dev.nest.common;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * A value built on its first use, at most once, then kept: start-up uses it for what a node does not need before it
 * is ready (an HTTP client and its selector thread, for example; ADR 0030).
 *
 * <p>Failure: when the factory throws, nothing is kept, the exception reaches the caller and the next {@link #get}
 * tries again. Threading: safe from any thread; callers racing on the first use wait for one build (the factory
 * runs under this object's lock, so it must not call {@link #get} of the same instance).
 */
public final class Lazy<T> implements Supplier<T> {
    private final Supplier<? extends T> factory;
    private volatile T value;

    private Lazy(Supplier<? extends T> factory) {
        this.factory = factory;
    }

    /** A lazy value made by {@code factory} (which must not return {@code null}). */
    public static <T> Lazy<T> of(Supplier<? extends T> factory) {
        return new Lazy<>(Objects.requireNonNull(factory, "factory"));
    }

    @Override
    public T get() {
        T v = value;
        if (v != null) {
            return v;
        }
        synchronized (this) {
            if (value == null) {
                value = Objects.requireNonNull(factory.get(), "a lazy value's factory returned null");
            }
            return value;
        }
    }

    /** Whether the value has been built (for tests and for closing only what was made). */
    public boolean isBuilt() {
        return value != null;
    }
}
