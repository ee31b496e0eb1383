package dev.nest.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PluginsTest {
    private static final String SERVICE = "META-INF/services/" + Greeter.class.getName();
    @TempDir
    Path tmp;

    private static String greeter(String pkg, String cls, String body) {
        return "package " + pkg + "; public class " + cls + " implements dev.nest.plugin.Greeter { " + body + " }";
    }

    private static String lib(String version) {
        return "package shared; public class Lib { public static String version() { return \"" + version + "\"; } }";
    }

    /** A plugin jar whose provider reports the version of the {@code shared.Lib} it bundles. */
    private Path plugin(Path jar, String pkg, String libVersion) throws IOException {
        return PluginJars.build(tmp, jar, Map.of(pkg + ".Hello", greeter(pkg, "Hello",
                        "public String greet() { return \"" + pkg + " with lib \" + shared.Lib.version(); }"),
                "shared.Lib", lib(libVersion)), Map.of(SERVICE, pkg + ".Hello\n"));
    }

    @Test
    void eachPluginHasItsOwnClassLoaderAndItsOwnDependencies() throws IOException {
        Path dir = tmp.resolve("plugins");
        plugin(dir.resolve("alpha.jar"), "alpha", "1.0");
        // a folder plugin: the provider in one jar, its dependency in another
        PluginJars.build(tmp, dir.resolve("beta").resolve("beta.jar"), Map.of("beta.Hello", greeter("beta", "Hello",
                "public String greet() { return \"beta with lib \" + shared.Lib.version(); }"),
                "shared.Lib", lib("2.0")), Map.of(SERVICE, "beta.Hello\n"));
        try (Plugins plugins = Plugins.load(dir, getClass().getClassLoader())) {
            assertEquals(List.of(), plugins.failures());
            assertEquals(List.of("alpha", "beta"), plugins.loaded().stream().map(Plugin::name).toList());
            assertEquals(List.of(Greeter.class.getName()), plugins.plugin("alpha").orElseThrow().services());
            List<Greeter> greeters = plugins.services(Greeter.class);
            assertEquals(List.of("alpha with lib 1.0", "beta with lib 2.0"), greeters.stream().map(Greeter::greet).toList());
            // the SPI type is Nest's: one class for Nest and every plugin
            assertTrue(greeters.get(0) instanceof Greeter);
        }
    }

    @Test
    void aPluginsCodeRunsWithItsClassLoaderAsTheContextClassLoader() throws IOException {
        Path dir = tmp.resolve("plugins");
        PluginJars.build(tmp, dir.resolve("ctx.jar"), Map.of("ctx.Hello", greeter("ctx", "Hello",
                "public String greet() { return String.valueOf(Thread.currentThread().getContextClassLoader()"
                        + " == getClass().getClassLoader()); }")), Map.of(SERVICE, "ctx.Hello\n"));
        ClassLoader before = Thread.currentThread().getContextClassLoader();
        try (Plugins plugins = Plugins.load(dir, getClass().getClassLoader())) {
            assertEquals("true", plugins.services(Greeter.class).getFirst().greet());
            assertEquals(before, Thread.currentThread().getContextClassLoader());
        }
    }

    @Test
    void aBrokenPluginIsReportedAndTheOthersLoad() throws IOException {
        Path dir = tmp.resolve("plugins");
        plugin(dir.resolve("good.jar"), "good", "1.0");
        Files.writeString(dir.resolve("corrupt.jar"), "not a zip");
        Files.createDirectories(dir.resolve("empty"));
        PluginJars.build(tmp, dir.resolve("nothing.jar"), Map.of("nothing.A", "package nothing; public class A {}"), Map.of());
        PluginJars.build(tmp, dir.resolve("failing.jar"), Map.of("failing.Hello", greeter("failing", "Hello",
                "public Hello() { throw new IllegalStateException(\"no licence\"); } public String greet() { return \"\"; }")),
                Map.of(SERVICE, "failing.Hello\n"));
        PluginJars.build(tmp, dir.resolve("missing.jar"), Map.of(), Map.of(SERVICE, "missing.NoSuchClass\n"));
        Files.writeString(dir.resolve("README.txt"), "ignored");
        try (Plugins plugins = Plugins.load(dir, getClass().getClassLoader())) {
            assertEquals(List.of("failing", "good", "missing"), plugins.loaded().stream().map(Plugin::name).toList());
            List<Greeter> greeters = plugins.services(Greeter.class);
            assertEquals(List.of("good with lib 1.0"), greeters.stream().map(Greeter::greet).toList());
            Map<String, String> errors = new java.util.TreeMap<>();
            plugins.failures().forEach(f -> errors.put(f.name(), f.error()));
            assertEquals(List.of("corrupt", "empty", "failing", "missing", "nothing"), List.copyOf(errors.keySet()));
            assertTrue(errors.get("corrupt").contains("not a readable jar"), errors.get("corrupt"));
            assertTrue(errors.get("empty").contains("no .jar files"), errors.get("empty"));
            assertTrue(errors.get("nothing").contains("declares no services"), errors.get("nothing"));
            assertTrue(errors.get("failing").contains("no licence"), errors.get("failing"));
            assertTrue(errors.get("missing").contains("missing.NoSuchClass"), errors.get("missing"));
            // asking again reports each failure once
            plugins.services(Greeter.class);
            assertEquals(5, plugins.failures().size());
        }
    }

    @Test
    void noFolderMeansNoPluginsAndAFileIsAFailure() throws IOException {
        try (Plugins none = Plugins.load(tmp.resolve("absent"))) {
            assertEquals(List.of(), none.loaded());
            assertEquals(List.of(), none.failures());
        }
        Path file = Files.writeString(tmp.resolve("plugins"), "x");
        try (Plugins p = Plugins.load(file)) {
            assertEquals(1, p.failures().size());
            assertTrue(p.failures().getFirst().error().contains("is not a directory"));
        }
    }

    @Test
    void builtInProvidersComeFirstAndArentRepeatedPerPlugin() throws IOException {
        Path dir = tmp.resolve("plugins");
        plugin(dir.resolve("alpha.jar"), "alpha", "1.0");
        // a parent that declares a built-in Greeter (as Nest's own jar would)
        Path builtIn = PluginJars.build(tmp, tmp.resolve("nest.jar"), Map.of("builtin.Hello", greeter("builtin", "Hello",
                "public String greet() { return \"built in\"; }")), Map.of(SERVICE, "builtin.Hello\n"));
        try (java.net.URLClassLoader parent = new java.net.URLClassLoader(new java.net.URL[] {builtIn.toUri().toURL()},
                getClass().getClassLoader());
             Plugins plugins = Plugins.load(dir, parent)) {
            assertEquals(List.of("built in", "alpha with lib 1.0"),
                    plugins.services(Greeter.class).stream().map(Greeter::greet).toList());
        }
    }
}
