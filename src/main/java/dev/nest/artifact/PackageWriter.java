package dev.nest.artifact;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Packs a function's directory into the zip form the API accepts (skipping {@code .git}). */
public final class PackageWriter {
    private PackageWriter() {
    }

    /** Writes {@code dir} as a zip to {@code out}; returns the number of files. */
    public static int zip(Path dir, OutputStream out) throws IOException {
        return zip(dir, out, p -> true);
    }

    /** Writes the files of {@code dir} that {@code include} accepts (relative paths) as a zip to {@code out}. */
    public static int zip(Path dir, OutputStream out, java.util.function.Predicate<String> include) throws IOException {
        List<Path> files = new ArrayList<>();
        Path root = dir.toRealPath();
        Files.walkFileTree(root, java.util.Set.of(java.nio.file.FileVisitOption.FOLLOW_LINKS), 64, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                return d.getFileName() != null && d.getFileName().toString().equals(".git")
                        ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
                if (attrs.isRegularFile() && include.test(root.relativize(f).toString().replace('\\', '/'))) {
                    files.add(f);
                }
                return FileVisitResult.CONTINUE;
            }
        });
        Collections.sort(files);
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.setLevel(6);
            for (Path f : files) {
                ZipEntry e = new ZipEntry(root.relativize(f).toString().replace('\\', '/'));
                e.setTime(0);
                zip.putNextEntry(e);
                Files.copy(f, zip);
                zip.closeEntry();
            }
        }
        return files.size();
    }
}
