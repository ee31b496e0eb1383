package dev.nest.plugin;

import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/**
 * One plugin's class loader: its own jars first, so that its dependencies (kafka-clients, a newer library than
 * Nest's) stay inside it, except for the packages that must be one copy for Nest and every plugin: the JDK, Nest's
 * own ({@code dev.nest.}, the SPI types) and SLF4J (so a plugin logs through Nest's binding).
 *
 * <p>Resources: {@link #getResources} lists the plugin's before the parent's; {@code ServiceLoader} callers filter
 * out providers the parent defines ({@link Plugins#services}). Threads: any (parallel capable).
 */
final class PluginClassLoader extends URLClassLoader {
    private static final List<String> SHARED = List.of("java.", "javax.", "jdk.", "sun.", "com.sun.", "dev.nest.",
            "org.slf4j.");

    static {
        registerAsParallelCapable();
    }

    PluginClassLoader(String name, URL[] urls, ClassLoader parent) {
        super("plugin-" + name, urls, parent);
    }

    private static boolean shared(String className) {
        for (String p : SHARED) {
            if (className.startsWith(p)) {
                return true;
            }
        }
        return false;
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (shared(name)) {
            return super.loadClass(name, resolve);
        }
        synchronized (getClassLoadingLock(name)) {
            Class<?> c = findLoadedClass(name);
            if (c == null) {
                try {
                    c = findClass(name);
                } catch (ClassNotFoundException e) {
                    c = getParent().loadClass(name);
                }
            }
            if (resolve) {
                resolveClass(c);
            }
            return c;
        }
    }

    @Override
    public URL getResource(String name) {
        URL own = findResource(name);
        return own != null ? own : getParent().getResource(name);
    }

    @Override
    public Enumeration<URL> getResources(String name) throws java.io.IOException {
        List<URL> all = new ArrayList<>(Collections.list(findResources(name)));
        all.addAll(Collections.list(getParent().getResources(name)));
        return Collections.enumeration(all);
    }
}
