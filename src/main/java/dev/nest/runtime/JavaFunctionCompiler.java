package dev.nest.runtime;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * Compiles a Java function's sources on deploy.
 *
 * <p>The classpath is the Nest function API ({@code dev.nest.fn}) plus every {@code *.jar} under the source
 * directory. Compile errors come back as {@link Diagnostic}s, not exceptions. Instances are thread-safe:
 * each call runs its own compilation task.
 */
public final class JavaFunctionCompiler {

    private static final List<String> OPTIONS = List.of(
            "--release", "21", "-proc:none", "-g", "-encoding", "UTF-8", "-parameters", "-implicit:class");

    private static final String API_PACKAGE = "dev/nest/fn/";

    private final Path apiClasspath;
    private volatile Path apiRoot;

    /**
     * @param apiClasspath a jar or directory holding the {@code dev.nest.fn} classes. When it holds other
     *     classes too (such as Nest's own jar), only the {@code dev.nest.fn} classes are put on the
     *     compilation classpath: functions cannot see anything else of the host at run time either.
     */
    public JavaFunctionCompiler(Path apiClasspath) {
        this.apiClasspath = Objects.requireNonNull(apiClasspath, "apiClasspath").toAbsolutePath().normalize();
    }

    /**
     * If {@code sourceDir} holds any {@code .java} files (recursively, skipping {@code node_modules} and
     * {@code .git}), compiles them into {@code outputDir}; otherwise does nothing and returns
     * {@code compiled == false}. Only class files are written to {@code outputDir}.
     *
     * @throws IllegalStateException if this JVM has no Java compiler (a JRE rather than a JDK)
     * @throws UncheckedIOException if the directories cannot be read or written
     */
    public Result compile(Path sourceDir, Path outputDir) {
        Path src = sourceDir.toAbsolutePath().normalize();
        Path outDir = outputDir.toAbsolutePath().normalize();
        List<Path> sources = new ArrayList<>();
        List<Path> jars = new ArrayList<>();
        scan(src, outDir, sources, jars);
        if (sources.isEmpty()) return new Result(false, List.of());

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) {
            throw new IllegalStateException("Nest must run on a JDK (not a JRE) to compile Java sources: no system"
                    + " Java compiler in " + System.getProperty("java.home"));
        }
        try {
            Files.createDirectories(outDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + outDir, e);
        }

        StringBuilder cp = new StringBuilder(apiRoot().toString());
        for (Path jar : jars) cp.append(File.pathSeparatorChar).append(jar);
        List<String> options = new ArrayList<>(OPTIONS);
        options.add("-classpath");
        options.add(cp.toString());
        options.add("-d");
        options.add(outDir.toString());

        DiagnosticCollector<JavaFileObject> collector = new DiagnosticCollector<>();
        StringWriter javacOutput = new StringWriter();
        boolean success;
        try (StandardJavaFileManager files = javac.getStandardFileManager(collector, Locale.ROOT, StandardCharsets.UTF_8)) {
            Iterable<? extends JavaFileObject> units = files.getJavaFileObjectsFromPaths(sources);
            success = javac.getTask(javacOutput, files, collector, options, null, units).call();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot compile the sources in " + src, e);
        }

        List<Diagnostic> errors = new ArrayList<>();
        for (javax.tools.Diagnostic<? extends JavaFileObject> d : collector.getDiagnostics()) {
            if (d.getKind() != javax.tools.Diagnostic.Kind.ERROR) continue;
            errors.add(new Diagnostic(relative(src, d.getSource()), d.getLineNumber(), d.getColumnNumber(),
                    d.getMessage(Locale.ROOT)));
        }
        if (!success && errors.isEmpty()) {
            String text = javacOutput.toString().strip();
            errors.add(new Diagnostic(null, -1, -1, text.isEmpty() ? "compilation failed" : text));
        }
        return new Result(true, errors);
    }

    /**
     * A directory holding only the {@code dev.nest.fn} classes, copied once from {@link #apiClasspath};
     * the given classpath itself if it has none.
     */
    private Path apiRoot() {
        Path root = apiRoot;
        if (root != null) return root;
        synchronized (this) {
            if (apiRoot == null) apiRoot = extractApi();
            return apiRoot;
        }
    }

    private Path extractApi() {
        try {
            Path dir = Files.createTempDirectory("nest-fn-api");
            dir.toFile().deleteOnExit();
            Path pkg = dir.resolve(API_PACKAGE);
            boolean found = false;
            if (Files.isDirectory(apiClasspath)) {
                Path src = apiClasspath.resolve(API_PACKAGE);
                if (Files.isDirectory(src)) {
                    try (DirectoryStream<Path> classes = Files.newDirectoryStream(src, "*.class")) {
                        for (Path c : classes) {
                            found |= copy(Files.readAllBytes(c), dir, pkg.resolve(c.getFileName().toString()));
                        }
                    }
                }
            } else if (Files.isRegularFile(apiClasspath)) {
                try (ZipFile zip = new ZipFile(apiClasspath.toFile())) {
                    Enumeration<? extends ZipEntry> entries = zip.entries();
                    while (entries.hasMoreElements()) {
                        ZipEntry e = entries.nextElement();
                        String n = e.getName();
                        if (e.isDirectory() || !n.startsWith(API_PACKAGE) || !n.endsWith(".class")
                                || n.indexOf('/', API_PACKAGE.length()) >= 0) continue;
                        try (InputStream in = zip.getInputStream(e)) {
                            found |= copy(in.readAllBytes(), dir, pkg.resolve(n.substring(API_PACKAGE.length())));
                        }
                    }
                }
            }
            return found ? dir : apiClasspath;
        } catch (IOException e) {
            return apiClasspath; // compile against the classpath as given
        }
    }

    private static boolean copy(byte[] bytes, Path root, Path target) throws IOException {
        Path parent = target.getParent();
        if (!Files.isDirectory(parent)) {
            Files.createDirectories(parent);
            // deleteOnExit deletes in reverse order of registration: register parents first
            List<Path> chain = new ArrayList<>();
            for (Path p = parent; !p.equals(root); p = p.getParent()) chain.add(p);
            for (int i = chain.size() - 1; i >= 0; i--) chain.get(i).toFile().deleteOnExit();
        }
        Files.write(target, bytes);
        target.toFile().deleteOnExit();
        return true;
    }

    private static String relative(Path src, JavaFileObject source) {
        if (source == null) return null;
        URI uri = source.toUri();
        try {
            Path p = Path.of(uri).toAbsolutePath().normalize();
            if (p.startsWith(src)) return src.relativize(p).toString().replace(File.separatorChar, '/');
            return p.toString();
        } catch (RuntimeException e) {
            return source.getName();
        }
    }

    private static void scan(Path src, Path outDir, List<Path> sources, List<Path> jars) {
        if (!Files.isDirectory(src)) {
            throw new UncheckedIOException(new IOException("source directory " + src + " does not exist"));
        }
        try {
            Files.walkFileTree(src, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    if (dir.equals(src)) return FileVisitResult.CONTINUE;
                    String n = dir.getFileName().toString();
                    return n.equals("node_modules") || n.equals(".git") || dir.equals(outDir)
                            ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (!attrs.isRegularFile()) return FileVisitResult.CONTINUE;
                    String n = file.getFileName().toString();
                    if (n.endsWith(".java")) sources.add(file);
                    else if (n.endsWith(".jar")) jars.add(file);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + src, e);
        }
        Collections.sort(sources);
        Collections.sort(jars);
    }

    /**
     * The outcome of {@link #compile}.
     *
     * @param compiled whether there were Java sources to compile (false: nothing was done)
     * @param errors the compile errors; empty when compilation succeeded or was not needed
     */
    public record Result(boolean compiled, List<Diagnostic> errors) {
        public Result {
            errors = List.copyOf(errors);
        }

        /** Whether there were no errors (also true when there was nothing to compile). */
        public boolean ok() {
            return errors.isEmpty();
        }
    }

    /**
     * One compile error.
     *
     * @param file the source file, relative to the source directory ({@code null} if the error has no file)
     * @param line the 1-based line, or -1
     * @param column the 1-based column, or -1
     * @param message javac's message
     */
    public record Diagnostic(String file, long line, long column, String message) {
        /** {@code file:line:col: message}. */
        @Override
        public String toString() {
            if (file == null) return message;
            return file + ":" + line + ":" + column + ": " + message;
        }
    }
}
