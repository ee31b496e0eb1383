package dev.nest.aot;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * {@link Exec} through the C library's {@code sigprocmask} and {@code execve}, bound with the foreign function API.
 * Compiled for release 22 by its own compiler execution (pom.xml), so it calls the API directly: no reflection, and
 * one call shape, {@code int f(void *, void *, void *)}, for both functions, so the linker specialises one downcall
 * (the signal-mask operation is passed as an address-sized integer, which the C calling conventions of x86-64 and
 * AArch64 pass in the same register as an {@code int}). The strings and pointer arrays are copied in from Java arrays
 * rather than written through layouts' {@code VarHandle}s. Everything this class does is paid by the JVM about to be
 * replaced (ADR 0033), hence the economy. The jar's manifest has {@code Enable-Native-Access: ALL-UNNAMED}, so binding
 * prints no warning. Memory comes from the global arena: the process image is replaced, or the start goes on having
 * leaked a few kilobytes once.
 */
final class Posix implements Exec {
    /** Linux's {@code SIG_SETMASK}. */
    private static final long SIG_SETMASK = 2;
    /** glibc's {@code sizeof(sigset_t)}: 1024 bits. */
    private static final long SIGSET_BYTES = 128;
    private static final FunctionDescriptor THREE_POINTERS = FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS);

    @Override
    public int replaceImage(String path, List<String> argv, List<String> envp) {
        Arena arena = Arena.global();
        MemorySegment empty = arena.allocate(SIGSET_BYTES); // zeroed: the empty set
        int rc = call("sigprocmask", MemorySegment.ofAddress(SIG_SETMASK), empty, MemorySegment.NULL);
        if (rc != 0) {
            throw new IllegalStateException("sigprocmask returned " + rc);
        }
        return call("execve", string(arena, path), pointers(arena, argv), pointers(arena, envp));
    }

    private static int call(String name, MemorySegment a, MemorySegment b, MemorySegment c) {
        Linker linker = Linker.nativeLinker();
        java.util.Optional<MemorySegment> function = linker.defaultLookup().find(name); // no lambda: see the class
        if (function.isEmpty()) {
            throw new IllegalStateException("no C function " + name);
        }
        MethodHandle handle = linker.downcallHandle(function.get(), THREE_POINTERS);
        try {
            return (int) handle.invokeExact(a, b, c);
        } catch (Throwable e) {
            throw new IllegalStateException("cannot call " + name + ": " + e, e);
        }
    }

    /** A NUL-terminated UTF-8 copy of {@code s}. */
    private static MemorySegment string(Arena arena, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        MemorySegment m = arena.allocate(bytes.length + 1L); // zeroed: the terminator
        MemorySegment.copy(bytes, 0, m, ValueLayout.JAVA_BYTE, 0, bytes.length);
        return m;
    }

    /** A NULL-terminated array of C strings. */
    private static MemorySegment pointers(Arena arena, List<String> strings) {
        if (ValueLayout.ADDRESS.byteSize() != Long.BYTES) {
            throw new IllegalStateException("pointers of " + ValueLayout.ADDRESS.byteSize() + " bytes; 8 expected");
        }
        long[] addresses = new long[strings.size() + 1]; // the last stays 0: NULL
        for (int i = 0; i < strings.size(); i++) {
            addresses[i] = string(arena, strings.get(i)).address();
        }
        MemorySegment m = arena.allocate((long) Long.BYTES * addresses.length);
        MemorySegment.copy(addresses, 0, m, ValueLayout.JAVA_LONG, 0, addresses.length);
        return m;
    }
}
