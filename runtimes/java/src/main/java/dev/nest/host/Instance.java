package dev.nest.host;

import dev.nest.fn.Context;
import dev.nest.fn.Handler;
import dev.nest.fn.HttpEvent;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/** One loaded function version: its class loader, its handler and its in-flight invocations. */
final class Instance {

    /** The handler signatures accepted, in the order they are looked for. */
    static final String SIGNATURES = "handle(Map<String,Object>, Context), handle(HttpEvent, Context), "
            + "handle(Map<String,Object>), handle(HttpEvent), handle(String body, Context), handle(String body), "
            + "handle() (instance or static, public, in a public class), or implement dev.nest.fn.Handler";

    static final int HANDLER = 0;
    static final int MAP_CONTEXT = 1;
    static final int EVENT_CONTEXT = 2;
    static final int MAP = 3;
    static final int EVENT = 4;
    static final int STRING_CONTEXT = 5;
    static final int STRING = 6;
    static final int NONE = 7;

    private static final Class<?>[][] PARAMS = {
        null,
        {Map.class, Context.class},
        {HttpEvent.class, Context.class},
        {Map.class},
        {HttpEvent.class},
        {String.class, Context.class},
        {String.class},
        {},
    };

    /** A load that failed; its message is the detail of the 422 answer. */
    static final class LoadException extends Exception {
        private static final long serialVersionUID = 1L;

        LoadException(String message) {
            super(message, null, false, false);
        }
    }

    final String id;
    final String function;
    final String version;
    final Map<String, String> env;
    final int memoryMb;
    final long timeoutMs;
    final InstanceClassLoader loader;
    final int kind;
    private final Object target;
    private final Method method;
    double loadMs;
    double initMs;
    /** Its own threads in a merged pod ({@link FunctionThreads}); null in a dedicated pod (virtual threads). */
    volatile FunctionThreads threads;
    /** The pool's warm-up function (HostWarmUp): its log lines are dropped. Set once, before it is published. */
    volatile boolean quiet;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition idle = lock.newCondition();
    private int inFlight;
    private boolean closed;

    private Instance(String id, String function, String version, Map<String, String> env, int memoryMb,
            long timeoutMs, InstanceClassLoader loader, int kind, Object target, Method method) {
        this.id = id;
        this.function = function;
        this.version = version;
        this.env = env;
        this.memoryMb = memoryMb;
        this.timeoutMs = timeoutMs;
        this.loader = loader;
        this.kind = kind;
        this.target = target;
        this.method = method;
    }

    /** Loads {@code handlerClass} from {@code codeDir} and runs its initialisation. */
    static Instance load(String id, String function, String version, Path codeDir, String handlerClass,
            Map<String, String> env, int memoryMb, long timeoutMs) throws LoadException {
        long t0 = System.nanoTime();
        if (!Files.isDirectory(codeDir)) {
            throw new LoadException("codeDir " + codeDir + " is not a directory");
        }
        List<Path> roots = classpath(codeDir);
        URL[] urls = new URL[roots.size()];
        try {
            for (int i = 0; i < urls.length; i++) urls[i] = roots.get(i).toUri().toURL();
        } catch (MalformedURLException e) {
            throw new LoadException("cannot use codeDir " + codeDir + ": " + e.getMessage());
        }
        InstanceClassLoader loader = new InstanceClassLoader(urls);
        boolean ok = false;
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        try {
            thread.setContextClassLoader(loader);
            Class<?> type;
            try {
                type = Class.forName(handlerClass, false, loader);
            } catch (ClassNotFoundException e) {
                StringBuilder b = new StringBuilder("handler class ").append(handlerClass)
                        .append(" not found in codeDir; searched ");
                for (int i = 0; i < roots.size(); i++) {
                    if (i > 0) b.append(", ");
                    Path rel = codeDir.relativize(roots.get(i));
                    b.append(rel.toString().isEmpty() ? "./" : rel.toString());
                    if (Files.isDirectory(roots.get(i)) && !rel.toString().isEmpty()) b.append('/');
                }
                b.append(". The handler must be a fully qualified class name (e.g. com.example.Handler)");
                if (handlerClass.indexOf('.') > 0 && Character.isLowerCase(
                        handlerClass.charAt(handlerClass.lastIndexOf('.') + 1))) {
                    b.append(", not file.export as for Node.js");
                }
                b.append(", compiled into classes/ or packaged in a jar.");
                throw new LoadException(b.toString());
            } catch (LinkageError e) {
                throw new LoadException("cannot load handler class " + handlerClass + ": " + e);
            }

            int kind = -1;
            Method method = null;
            if (Handler.class.isAssignableFrom(type)) {
                kind = HANDLER;
            } else {
                Method[] methods;
                try {
                    methods = type.getMethods();
                } catch (LinkageError e) {
                    throw new LoadException("cannot link handler class " + handlerClass + ": " + e);
                }
                search:
                for (int k = MAP_CONTEXT; k <= NONE; k++) {
                    for (Method m : methods) {
                        if (m.getName().equals("handle") && m.getParameterCount() == PARAMS[k].length
                                && java.util.Arrays.equals(m.getParameterTypes(), PARAMS[k])) {
                            kind = k;
                            method = m;
                            break search;
                        }
                    }
                }
                if (method == null) {
                    throw new LoadException("handler class " + handlerClass + " has no suitable public handle method;"
                            + " accepted signatures: " + SIGNATURES);
                }
                method.trySetAccessible();
            }

            boolean needsInstance = method == null || !Modifier.isStatic(method.getModifiers());
            Constructor<?> ctor = null;
            if (needsInstance) {
                if (Modifier.isAbstract(type.getModifiers())) {
                    throw new LoadException("handler class " + handlerClass + " is abstract; it needs a concrete class"
                            + " with a public no-arg constructor");
                }
                try {
                    ctor = type.getConstructor();
                } catch (NoSuchMethodException e) {
                    throw new LoadException("handler class " + handlerClass + " needs a public no-arg constructor"
                            + " (or make its handle method static)");
                } catch (LinkageError e) {
                    throw new LoadException("cannot link handler class " + handlerClass + ": " + e);
                }
                ctor.trySetAccessible();
            }
            long t1 = System.nanoTime();

            Object target = null;
            try {
                Class.forName(handlerClass, true, loader);
                if (ctor != null) target = ctor.newInstance();
            } catch (ExceptionInInitializerError e) {
                Throwable c = e.getCause() != null ? e.getCause() : e;
                throw new LoadException("static initialisation of " + handlerClass + " threw " + describe(c));
            } catch (InvocationTargetException e) {
                throw new LoadException("constructor of " + handlerClass + " threw " + describe(e.getCause()));
            } catch (ReflectiveOperationException e) {
                throw new LoadException("cannot instantiate " + handlerClass + ": " + e);
            } catch (Throwable e) {
                throw new LoadException("initialisation of " + handlerClass + " failed: " + describe(e));
            }
            long t2 = System.nanoTime();

            Instance s = new Instance(id, function, version, env, memoryMb, timeoutMs, loader, kind, target, method);
            s.loadMs = millis(t1 - t0);
            s.initMs = millis(t2 - t1);
            ok = true;
            return s;
        } finally {
            thread.setContextClassLoader(previous);
            if (!ok) closeQuietly(loader);
        }
    }

    private static double millis(long nanos) {
        return Math.round(nanos / 1000.0) / 1000.0;
    }

    /** {@code Type: message (at Frame(File.java:12))}, naming the first frame of the function's own code. */
    static String describe(Throwable t) {
        StringBuilder b = new StringBuilder(t.getClass().getName());
        if (t.getMessage() != null) b.append(": ").append(t.getMessage());
        for (StackTraceElement e : t.getStackTrace()) {
            String cls = e.getClassName();
            if (cls.startsWith("java.") || cls.startsWith("jdk.") || cls.startsWith("sun.")
                    || cls.startsWith("dev.nest.host.")) continue;
            b.append(" (at ").append(e).append(')');
            break;
        }
        return b.toString();
    }

    /** The classpath roots of a code dir: {@code classes/}, the dir itself, and every jar in it (recursively). */
    static List<Path> classpath(Path codeDir) throws LoadException {
        List<Path> roots = new ArrayList<>();
        Path classes = codeDir.resolve("classes");
        if (Files.isDirectory(classes)) roots.add(classes);
        roots.add(codeDir);
        List<Path> jars = new ArrayList<>();
        try {
            Files.walkFileTree(codeDir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    String n = dir.getFileName() == null ? "" : dir.getFileName().toString();
                    return !dir.equals(codeDir) && (n.equals("node_modules") || n.equals(".git"))
                            ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (attrs.isRegularFile() && file.getFileName().toString().endsWith(".jar")) jars.add(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException exc) {
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new LoadException("cannot list codeDir " + codeDir + ": " + e);
        }
        jars.sort(null);
        roots.addAll(jars);
        return roots;
    }

    // ------------------------------------------------------------------ invocation

    /** Calls the handler; exceptions are the function's own (already unwrapped). */
    Object call(Map<String, Object> event, HttpEvent httpEvent, String body, Context context) throws Throwable {
        if (kind == HANDLER) return ((Handler) target).handle(event, context);
        try {
            switch (kind) {
                case MAP_CONTEXT: return method.invoke(target, event, context);
                case EVENT_CONTEXT: return method.invoke(target, httpEvent, context);
                case MAP: return method.invoke(target, event);
                case EVENT: return method.invoke(target, httpEvent);
                case STRING_CONTEXT: return method.invoke(target, body, context);
                case STRING: return method.invoke(target, body);
                default: return method.invoke(target);
            }
        } catch (InvocationTargetException e) {
            throw e.getCause() != null ? e.getCause() : e;
        }
    }

    boolean wantsMap() {
        return kind == HANDLER || kind == MAP_CONTEXT || kind == MAP;
    }

    boolean wantsEvent() {
        return kind == EVENT_CONTEXT || kind == EVENT;
    }

    boolean wantsBody() {
        return kind == STRING_CONTEXT || kind == STRING;
    }

    /** Why the instance is unhealthy (an invocation that ignored its interruption still runs); null while healthy. */
    private volatile String unhealthy;

    /** Marks the instance unhealthy for good: the node agent replaces it (runtimes/CONTRACT.md). The first reason stays. */
    void markUnhealthy(String reason) {
        if (unhealthy == null) unhealthy = reason;
    }

    /** Why the instance is unhealthy, or empty while it is healthy. */
    java.util.Optional<String> unhealthy() {
        return java.util.Optional.ofNullable(unhealthy);
    }

    /** Registers an invocation; false once the instance is being unloaded. */
    boolean acquire() {
        lock.lock();
        try {
            if (closed) return false;
            inFlight++;
            return true;
        } finally {
            lock.unlock();
        }
    }

    void release() {
        lock.lock();
        try {
            if (--inFlight == 0) idle.signalAll();
        } finally {
            lock.unlock();
        }
    }

    int inFlight() {
        lock.lock();
        try {
            return inFlight;
        } finally {
            lock.unlock();
        }
    }

    /** Refuses new invocations, waits (bounded) for in-flight ones, then closes the class loader. */
    void unload(long waitMillis) {
        lock.lock();
        try {
            closed = true;
            long nanos = TimeUnit.MILLISECONDS.toNanos(waitMillis);
            while (inFlight > 0 && nanos > 0) {
                nanos = idle.awaitNanos(nanos);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
        FunctionThreads t = threads;
        if (t != null) t.close();
        closeQuietly(loader);
    }

    private static void closeQuietly(URLClassLoader loader) {
        try {
            loader.close();
        } catch (IOException ignored) {
            // nothing useful to do
        }
    }

    /**
     * An instance's class loader: the JDK (platform loader) as parent, the code dir's roots, and the host's own
     * {@code dev.nest.fn} API types so that the function and the host share them. Nothing else of the host's
     * classpath is visible.
     */
    static final class InstanceClassLoader extends URLClassLoader {
        static {
            ClassLoader.registerAsParallelCapable();
        }

        private static final ClassLoader API = Context.class.getClassLoader();

        InstanceClassLoader(URL[] urls) {
            // unnamed: a named loader would prefix every stack frame of the function with its name
            super(urls, ClassLoader.getPlatformClassLoader());
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (name.startsWith("dev.nest.fn.")) return API.loadClass(name);
            return super.loadClass(name, resolve);
        }
    }
}
