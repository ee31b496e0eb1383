package dev.nest.aot;

import java.util.List;

/**
 * Replacing this process's image ({@code execve}), as the re-execution needs it. The one implementation, {@code Posix},
 * binds the C library through the foreign function API and is compiled for release 22 (the API's first final
 * release), apart from the rest of the build (release 21); this interface is what release-21 code sees of it, so
 * nothing links to {@code Posix} before {@link AotPlan#decide} has checked the JVM is 25 or later.
 *
 * <p>Failure: {@link #replaceImage} throws {@link IllegalStateException} with the cause when a call cannot be bound or
 * fails, and returns only when {@code execve} itself returned.
 */
interface Exec {
    /**
     * Unblocks every signal of the calling thread (an exec'd image inherits that thread's mask, and every Java thread
     * blocks SIGQUIT), then {@code execve(path, argv, envp)} with {@code envp} as {@code NAME=value} strings. Returns
     * only when the exec failed, with its return value (-1). Call it from the thread that should exec (the main
     * thread, before the application starts threads).
     */
    int replaceImage(String path, List<String> argv, List<String> envp);

    /**
     * Whether this build has the implementation: a JDK before 22 cannot compile it (pom.xml), and its jar then never
     * re-executes itself. Looks for the class file without loading it.
     */
    static boolean built() {
        return Exec.class.getResource("Posix.class") != null;
    }

    /** Why a start of this build cannot apply a cache, when {@link #built()} is false. */
    String NOT_BUILT = "this jar was built by a JDK before 22, without the re-execution; build it with JDK 25 or later";

    /** The implementation, loaded by name: a class of a later release than its callers are compiled for. */
    static Exec posix() {
        try {
            return (Exec) Class.forName("dev.nest.aot.Posix").getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IllegalStateException("the foreign function API is not available: " + e, e);
        }
    }
}
