package dev.nest.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.fn.Context;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JavaFunctionCompilerTest {

    @TempDir
    Path dir;

    static Path apiClasspath() {
        try {
            return Path.of(Context.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    private final JavaFunctionCompiler compiler = new JavaFunctionCompiler(apiClasspath());

    @Test
    void compilesSourcesUsingTheFunctionApiIntoTheOutputDir() throws IOException {
        Path src = dir.resolve("code");
        write(src.resolve("com/example/Hello.java"), """
                package com.example;

                import dev.nest.fn.Context;
                import java.util.Map;

                public class Hello {
                    public Object handle(Map<String, Object> event, Context ctx) {
                        return "hello " + ctx.functionName();
                    }
                }
                """);
        write(src.resolve("Top.java"), "public class Top { class Inner {} }\n");
        write(src.resolve("static/readme.txt"), "not code");
        Path out = src.resolve("classes");

        JavaFunctionCompiler.Result result = compiler.compile(src, out);

        assertTrue(result.compiled());
        assertTrue(result.ok(), () -> result.errors().toString());
        assertTrue(Files.isRegularFile(out.resolve("com/example/Hello.class")));
        assertTrue(Files.isRegularFile(out.resolve("Top.class")));
        assertTrue(Files.isRegularFile(out.resolve("Top$Inner.class")));
        assertFalse(Files.exists(out.resolve("static/readme.txt")), "only classes go to the output dir");
    }

    @Test
    void compileErrorsComeBackWithRelativeFileAndLine() throws IOException {
        Path src = dir.resolve("code");
        write(src.resolve("com/example/Good.java"), "package com.example;\npublic class Good {}\n");
        write(src.resolve("com/example/Bad.java"), """
                package com.example;

                public class Bad {
                    int x = "not an int";
                }
                """);

        JavaFunctionCompiler.Result result = compiler.compile(src, dir.resolve("out"));

        assertTrue(result.compiled());
        assertFalse(result.ok());
        assertEquals(1, result.errors().size(), () -> result.errors().toString());
        JavaFunctionCompiler.Diagnostic d = result.errors().get(0);
        assertEquals("com/example/Bad.java", d.file());
        assertEquals(4, d.line());
        assertTrue(d.column() > 0);
        assertTrue(d.message().contains("incompatible types"), d.message());
        assertTrue(d.toString().startsWith("com/example/Bad.java:4:" + d.column() + ": "), d.toString());
    }

    @Test
    void syntaxErrorsToo() throws IOException {
        Path src = dir.resolve("code");
        write(src.resolve("Handler.java"), "public class Handler {\n  void f() {\n    int a = 1\n  }\n}\n");

        JavaFunctionCompiler.Result result = compiler.compile(src, dir.resolve("out"));

        assertFalse(result.ok());
        JavaFunctionCompiler.Diagnostic d = result.errors().get(0);
        assertEquals("Handler.java", d.file());
        assertEquals(3, d.line());
        assertTrue(d.message().contains("';' expected"), d.message());
    }

    @Test
    void onlyTheFunctionApiOfTheApiClasspathIsVisible() throws IOException {
        // the API classpath (Nest's own classes) also holds the host; functions must not compile against it
        Path src = dir.resolve("code");
        write(src.resolve("Handler.java"), """
                public class Handler {
                    public Object handle(dev.nest.fn.HttpEvent event) {
                        return dev.nest.host.JavaHost.class;
                    }
                }
                """);

        JavaFunctionCompiler.Result result = compiler.compile(src, src.resolve("classes"));

        assertFalse(result.ok());
        assertEquals(1, result.errors().size(), () -> result.errors().toString());
        assertEquals(3, result.errors().get(0).line());
        assertTrue(result.errors().get(0).message().contains("dev.nest.host"), result.errors().toString());
    }

    @Test
    void theApiCanComeFromAJar() throws IOException {
        Path apiJar = dir.resolve("api/nest.jar");
        jar(apiClasspath(), apiJar);
        Path src = dir.resolve("code");
        write(src.resolve("Handler.java"), """
                import dev.nest.fn.HttpResponse;
                public class Handler {
                    public HttpResponse handle() { return HttpResponse.ok("hi"); }
                }
                """);

        JavaFunctionCompiler.Result result = new JavaFunctionCompiler(apiJar).compile(src, src.resolve("classes"));

        assertTrue(result.ok(), () -> result.errors().toString());
    }

    @Test
    void nothingToCompileWithoutJavaSources() throws IOException {
        Path src = dir.resolve("code");
        write(src.resolve("index.js"), "exports.handler = async () => 1;\n");
        write(src.resolve("node_modules/dep/Broken.java"), "this is not java");
        write(src.resolve(".git/Hook.java"), "neither is this");
        Path out = src.resolve("classes");

        JavaFunctionCompiler.Result result = compiler.compile(src, out);

        assertFalse(result.compiled());
        assertTrue(result.ok());
        assertFalse(Files.exists(out));
    }

    @Test
    void skipsNodeModulesAndGitWhenCompiling() throws IOException {
        Path src = dir.resolve("code");
        write(src.resolve("Handler.java"), "public class Handler {}\n");
        write(src.resolve("node_modules/dep/Broken.java"), "this is not java");
        write(src.resolve(".git/Hook.java"), "neither is this");

        JavaFunctionCompiler.Result result = compiler.compile(src, src.resolve("classes"));

        assertTrue(result.compiled());
        assertTrue(result.ok(), () -> result.errors().toString());
    }

    @Test
    void jarsUnderTheSourceDirAreOnTheClasspath() throws IOException {
        // a library, compiled and packaged as lib/greeter.jar
        Path libSrc = dir.resolve("libsrc");
        write(libSrc.resolve("util/Greeter.java"),
                "package util;\npublic final class Greeter { public static String greet(String n) { return \"hi \" + n; } }\n");
        Path libClasses = dir.resolve("libclasses");
        assertTrue(compiler.compile(libSrc, libClasses).ok());
        Path src = dir.resolve("code");
        jar(libClasses, src.resolve("lib/deep/greeter.jar"));
        write(src.resolve("Handler.java"), """
                public class Handler {
                    public String handle(String body) { return util.Greeter.greet(body); }
                }
                """);

        JavaFunctionCompiler.Result result = compiler.compile(src, src.resolve("classes"));

        assertTrue(result.ok(), () -> result.errors().toString());
        assertTrue(Files.isRegularFile(src.resolve("classes/Handler.class")));
        assertFalse(Files.exists(src.resolve("classes/util/Greeter.class")), "library classes stay in the jar");
    }

    @Test
    void missingLibraryIsACompileError() throws IOException {
        Path src = dir.resolve("code");
        write(src.resolve("Handler.java"),
                "public class Handler {\n  public String handle(String b) { return util.Greeter.greet(b); }\n}\n");

        JavaFunctionCompiler.Result result = compiler.compile(src, src.resolve("classes"));

        assertFalse(result.ok());
        assertEquals("Handler.java", result.errors().get(0).file());
        assertEquals(2, result.errors().get(0).line());
    }

    @Test
    void concurrentCompilationsAreIndependent() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<JavaFunctionCompiler.Result>> results = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                Path src = dir.resolve("code" + i);
                boolean broken = i % 3 == 2;
                write(src.resolve("p" + i + "/Handler.java"), "package p" + i + ";\npublic class Handler {\n"
                        + (broken ? "  int x = ;\n" : "  public int handle() { return " + i + "; }\n") + "}\n");
                results.add(pool.submit(() -> compiler.compile(src, src.resolve("classes"))));
            }
            for (int i = 0; i < results.size(); i++) {
                JavaFunctionCompiler.Result r = results.get(i).get();
                assertTrue(r.compiled());
                if (i % 3 == 2) {
                    assertFalse(r.ok());
                    assertEquals("p" + i + "/Handler.java", r.errors().get(0).file());
                    assertEquals(3, r.errors().get(0).line());
                } else {
                    assertTrue(r.ok(), r.errors().toString());
                    assertTrue(Files.isRegularFile(dir.resolve("code" + i + "/classes/p" + i + "/Handler.class")));
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Packs a directory of classes into a jar. */
    static void jar(Path classes, Path jarFile) throws IOException {
        Files.createDirectories(jarFile.getParent());
        try (OutputStream os = Files.newOutputStream(jarFile);
                JarOutputStream jar = new JarOutputStream(os);
                Stream<Path> files = Files.walk(classes)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                jar.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
                jar.write(Files.readAllBytes(f));
                jar.closeEntry();
            }
        }
    }
}
