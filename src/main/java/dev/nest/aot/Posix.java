package dev.nest.aot;

import java.lang.invoke.MethodHandle;
import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.util.List;

/**
 * The two C library calls the re-execution needs ({@code sigprocmask}, {@code execve}), bound
 * through the foreign function API (final since JDK 22). The build targets release 21, where that API is a preview,
 * so it is reached by reflection; the mechanism runs only on JDK 25 or later ({@link AotPlan#decide}). The jar's
 * manifest has {@code Enable-Native-Access: ALL-UNNAMED}, so binding prints no warning.
 *
 * <p>Failure: every method throws {@link IllegalStateException} with the cause when a call cannot be bound or
 * fails; {@link #execve} returns only when the exec failed. The signal mask is the calling thread's: call both from
 * the thread that execs (the main thread, before the application starts threads).
 */
final class Posix {
    /** Linux's {@code SIG_SETMASK}. */
    private static final int SIG_SETMASK = 2;
    /** glibc's {@code sizeof(sigset_t)}: 1024 bits. */
    private static final int SIGSET_BYTES = 128;

    private final Class<?> segment;
    private final Object arena;
    private final Object linker;
    private final Object lookup;
    private final Object intLayout;
    private final Object addressLayout;
    private final Object nullSegment;

    Posix() {
        try {
            Class<?> linkerClass = Class.forName("java.lang.foreign.Linker");
            segment = Class.forName("java.lang.foreign.MemorySegment");
            Class<?> valueLayout = Class.forName("java.lang.foreign.ValueLayout");
            linker = linkerClass.getMethod("nativeLinker").invoke(null);
            lookup = linkerClass.getMethod("defaultLookup").invoke(linker);
            arena = Class.forName("java.lang.foreign.Arena").getMethod("global").invoke(null);
            intLayout = valueLayout.getField("JAVA_INT").get(null);
            addressLayout = valueLayout.getField("ADDRESS").get(null);
            nullSegment = segment.getField("NULL").get(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("the foreign function API is not available: " + e, e);
        }
    }

    /** Unblocks every signal of the calling thread: an exec'd process inherits the mask of the thread that exec'd. */
    void clearSignalMask() {
        Object empty = allocate(SIGSET_BYTES); // zeroed: the empty set
        int rc = (int) call("sigprocmask", 3, SIG_SETMASK, empty, nullSegment);
        if (rc != 0) {
            throw new IllegalStateException("sigprocmask returned " + rc);
        }
    }

    /**
     * {@code execve(path, argv, envp)}, {@code envp} as {@code NAME=value} strings: returns only when the exec failed
     * (then with its return value, -1).
     */
    int execve(String path, List<String> argv, List<String> envp) {
        return (int) call("execve", 3, string(path), pointers(argv), pointers(envp));
    }

    /** A NULL-terminated array of C strings. */
    private Object pointers(List<String> strings) {
        try {
            Class<?> memoryLayout = Class.forName("java.lang.foreign.MemoryLayout");
            long pointer = (long) memoryLayout.getMethod("byteSize").invoke(addressLayout);
            Object array = allocate(pointer * (strings.size() + 1));
            Method set = segment.getMethod("setAtIndex", Class.forName("java.lang.foreign.AddressLayout"), long.class,
                    segment);
            for (int i = 0; i < strings.size(); i++) {
                set.invoke(array, addressLayout, (long) i, string(strings.get(i)));
            }
            set.invoke(array, addressLayout, (long) strings.size(), nullSegment);
            return array;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot build a C string array: " + e, e);
        }
    }

    /** Calls the C function {@code name} returning an int, with {@code arity} int or pointer arguments. */
    private Object call(String name, int arity, Object... args) {
        try {
            Class<?> layoutClass = Class.forName("java.lang.foreign.MemoryLayout");
            Object argLayouts = Array.newInstance(layoutClass, arity);
            for (int i = 0; i < arity; i++) {
                Array.set(argLayouts, i, args[i] instanceof Integer ? intLayout : addressLayout);
            }
            Class<?> descriptorClass = Class.forName("java.lang.foreign.FunctionDescriptor");
            Object descriptor = descriptorClass.getMethod("of", layoutClass, argLayouts.getClass())
                    .invoke(null, intLayout, argLayouts);
            java.util.Optional<?> found = (java.util.Optional<?>) Class.forName("java.lang.foreign.SymbolLookup")
                    .getMethod("find", String.class).invoke(lookup, name);
            if (found.isEmpty()) {
                throw new IllegalStateException("no C function " + name);
            }
            Object address = found.get();
            Class<?> optionClass = Class.forName("java.lang.foreign.Linker$Option");
            Method downcall = Class.forName("java.lang.foreign.Linker").getMethod("downcallHandle", segment,
                    descriptorClass, optionClass.arrayType());
            MethodHandle handle = (MethodHandle) downcall.invoke(linker, address, descriptor,
                    Array.newInstance(optionClass, 0));
            return handle.invokeWithArguments(args);
        } catch (Throwable e) {
            throw new IllegalStateException("cannot call " + name + ": " + e, e);
        }
    }

    private Object string(String s) {
        try {
            return Class.forName("java.lang.foreign.SegmentAllocator").getMethod("allocateFrom", String.class)
                    .invoke(arena, s);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot allocate a C string: " + e, e);
        }
    }

    private Object allocate(long bytes) {
        try {
            return Class.forName("java.lang.foreign.SegmentAllocator").getMethod("allocate", long.class)
                    .invoke(arena, bytes);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot allocate native memory: " + e, e);
        }
    }
}
