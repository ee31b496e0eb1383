package dev.nest.plugin;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The plugins of a node: every {@code *.jar} directly in the plugins folder, and every sub-folder holding
 * {@code *.jar} files (a plugin with its dependencies as separate jars), each loaded in its own
 * {@link PluginClassLoader} whose parent is Nest's class loader, so SPI types are shared and a plugin's own
 * dependencies stay inside it. Services are found with {@link ServiceLoader}: {@link #services} gives Nest's
 * built-in providers first, then each plugin's, in the order of the plugins' names. A plugin's provider of an
 * interface is wrapped so that its methods run with the plugin's class loader as the thread's context class loader.
 *
 * <p>Failure: a plugin that cannot be read (not a jar, an empty folder, no {@code META-INF/services}), or one of
 * whose providers cannot be created, is a {@link PluginFailure}: logged, kept in {@link #failures} (shown in
 * {@code /health}), and skipped; the node starts anyway. A missing plugins folder means no plugins. Files that
 * are neither jars nor folders (a README) and hidden entries are ignored.
 *
 * <p>Limits: plugins are loaded once, at start; a changed jar needs a restart. Two plugins may not share classes
 * with each other (only with Nest). Threads: every method may be called from any thread; {@link #close} closes
 * the class loaders, after which services already created may fail to load further classes.
 */
public final class Plugins implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Plugins.class.getName());
    private static final String SERVICES = "META-INF/services/";

    private final List<Plugin> loaded;
    private final CopyOnWriteArrayList<PluginFailure> failures;
    private final ClassLoader nest;

    private Plugins(List<Plugin> loaded, List<PluginFailure> failures, ClassLoader nest) {
        this.loaded = List.copyOf(loaded);
        this.failures = new CopyOnWriteArrayList<>(failures);
        this.nest = nest;
    }

    /** No plugins: {@link #services} gives Nest's built-in providers only. */
    public static Plugins none() {
        return new Plugins(List.of(), List.of(), Plugins.class.getClassLoader());
    }

    /**
     * The default plugins folder: {@code plugins} beside {@code nest.jar} ({@code target/plugins} in a build, where
     * the build puts the plugins' jars; {@code lib/plugins} in an installation), or beside the class folder when
     * Nest does not run from a jar.
     */
    public static Path defaultDir() {
        try {
            Path code = Path.of(Plugins.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return code.toAbsolutePath().getParent().resolve("plugins").normalize();
        } catch (java.net.URISyntaxException | RuntimeException e) {
            return Path.of("plugins").toAbsolutePath();
        }
    }

    /** Loads the plugins in {@code dir}; none when it does not exist. */
    public static Plugins load(Path dir) {
        return load(dir, Plugins.class.getClassLoader());
    }

    /** Loads the plugins in {@code dir} with {@code parent} as their class loaders' parent. */
    static Plugins load(Path dir, ClassLoader parent) {
        if (!Files.isDirectory(dir)) {
            if (Files.exists(dir)) {
                return new Plugins(List.of(), List.of(new PluginFailure(dir.getFileName().toString(), dir,
                        "the plugins folder " + dir + " is not a directory; point plugins-dir at a folder of jars")),
                        parent);
            }
            LOG.fine("no plugins folder at " + dir);
            return new Plugins(List.of(), List.of(), parent);
        }
        List<Path> entries;
        try (Stream<Path> s = Files.list(dir)) {
            entries = s.filter(p -> !p.getFileName().toString().startsWith("."))
                    .filter(p -> Files.isDirectory(p) || p.getFileName().toString().endsWith(".jar"))
                    .sorted().toList();
        } catch (IOException e) {
            return new Plugins(List.of(), List.of(new PluginFailure(dir.getFileName().toString(), dir,
                    "cannot list the plugins folder " + dir + ": " + e.getMessage())), parent);
        }
        List<Plugin> loaded = new ArrayList<>();
        List<PluginFailure> failures = new ArrayList<>();
        for (Path entry : entries) {
            String name = name(entry);
            try {
                List<Path> jars = jars(entry);
                List<String> services = new ArrayList<>(new TreeSet<>(declared(jars)));
                if (services.isEmpty()) {
                    throw new IllegalArgumentException("it declares no services (no META-INF/services/ entries in "
                            + jars.stream().map(j -> j.getFileName().toString()).toList() + ")");
                }
                URL[] urls = new URL[jars.size()];
                for (int i = 0; i < urls.length; i++) {
                    urls[i] = jars.get(i).toUri().toURL();
                }
                loaded.add(new Plugin(name, entry, jars, services, new PluginClassLoader(name, urls, parent)));
                LOG.info("plugin " + name + " loaded from " + entry + " (services " + services + ")");
            } catch (IOException | RuntimeException e) {
                String why = e instanceof MalformedURLException || e.getMessage() == null ? e.toString() : e.getMessage();
                failures.add(new PluginFailure(name, entry, "plugin " + name + " (" + entry + ") was not loaded: " + why));
                LOG.warning(failures.getLast().error());
            }
        }
        return new Plugins(loaded, failures, parent);
    }

    private static String name(Path entry) {
        String n = entry.getFileName().toString();
        return n.endsWith(".jar") ? n.substring(0, n.length() - 4) : n;
    }

    private static List<Path> jars(Path entry) throws IOException {
        if (!Files.isDirectory(entry)) {
            return List.of(entry);
        }
        try (Stream<Path> s = Files.list(entry)) {
            List<Path> jars = s.filter(p -> p.getFileName().toString().endsWith(".jar") && Files.isRegularFile(p))
                    .sorted().toList();
            if (jars.isEmpty()) {
                throw new IllegalArgumentException("the folder holds no .jar files");
            }
            return jars;
        }
    }

    /** The service interfaces the jars declare; fails for a file that is not a jar. */
    private static List<String> declared(List<Path> jars) throws IOException {
        List<String> out = new ArrayList<>();
        for (Path jar : jars) {
            try (ZipFile z = new ZipFile(jar.toFile())) {
                Enumeration<? extends ZipEntry> e = z.entries();
                while (e.hasMoreElements()) {
                    String n = e.nextElement().getName();
                    if (n.startsWith(SERVICES) && n.length() > SERVICES.length() && !n.endsWith("/")) {
                        out.add(n.substring(SERVICES.length()));
                    }
                }
            } catch (IOException e) {
                throw new IOException(jar.getFileName() + " is not a readable jar: " + e.getMessage(), e);
            }
        }
        return out;
    }

    /** The plugins that loaded, by name. */
    public List<Plugin> loaded() {
        return loaded;
    }

    /** The plugins that failed to load, and providers that could not be created so far. */
    public List<PluginFailure> failures() {
        return List.copyOf(failures);
    }

    /** The plugin named {@code name}, if it loaded. */
    public Optional<Plugin> plugin(String name) {
        return loaded.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    /**
     * Every provider of {@code type}: Nest's own first, then each plugin's (only the providers the plugin's own
     * jars define, not those it sees through its parent). A provider that cannot be created is recorded as a
     * failure of its plugin and skipped. Each call creates new provider objects.
     */
    public <S> List<S> services(Class<S> type) {
        List<S> out = new ArrayList<>(create(type, nest, Optional.empty()));
        for (Plugin p : loaded) {
            out.addAll(create(type, p.loader(), Optional.of(p)));
        }
        return Collections.unmodifiableList(out);
    }

    private <S> List<S> create(Class<S> type, ClassLoader loader, Optional<Plugin> plugin) {
        List<S> out = new ArrayList<>();
        try {
            ServiceLoader.load(type, loader).stream().forEach(provider -> {
                boolean own = plugin.isEmpty() || provider.type().getClassLoader() == loader;
                if (own) {
                    try {
                        out.add(plugin.isEmpty() || !type.isInterface() ? provider.get()
                                : withContextLoader(type, provider.get(), loader));
                    } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
                        fail(plugin, type, e);
                    }
                }
            });
        } catch (ServiceConfigurationError | LinkageError e) {
            fail(plugin, type, e);
        }
        return out;
    }

    /**
     * {@code service} behind a proxy that makes {@code loader} the calling thread's context class loader for each
     * call: libraries inside a plugin (Kafka's clients) load their classes through it, and threads the plugin
     * starts during the call inherit it.
     */
    private static <S> S withContextLoader(Class<S> type, S service, ClassLoader loader) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, m, args) -> {
            if (m.getDeclaringClass() == Object.class && m.getName().equals("toString")) {
                return service.toString();
            }
            Thread t = Thread.currentThread();
            ClassLoader previous = t.getContextClassLoader();
            t.setContextClassLoader(loader);
            try {
                return m.invoke(service, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            } finally {
                t.setContextClassLoader(previous);
            }
        }));
    }

    private void fail(Optional<Plugin> plugin, Class<?> type, Throwable e) {
        String why = e.getMessage() == null ? e.toString() : e.getMessage();
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            why += "; caused by " + c;
        }
        if (plugin.isEmpty()) {
            throw new IllegalStateException("a built-in " + type.getName() + " cannot be created: " + why, e);
        }
        Plugin p = plugin.get();
        PluginFailure f = new PluginFailure(p.name(), p.source(), "plugin " + p.name() + ": a " + type.getSimpleName()
                + " provider cannot be created: " + why);
        failures.addIfAbsent(f);
        LOG.log(Level.WARNING, f.error(), e);
    }

    /** Closes the plugins' class loaders. */
    @Override
    public void close() {
        for (Plugin p : loaded) {
            try {
                ((PluginClassLoader) p.loader()).close();
            } catch (IOException e) {
                LOG.log(Level.FINE, "closing plugin " + p.name(), e);
            }
        }
    }
}
