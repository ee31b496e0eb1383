package dev.nest.artifact;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Packs a function's directory into the zip form the API accepts (its regular files sorted by path, skipping
 * {@code .git}); symbolic links are handled as {@link PackageArchive#list} says: inside the directory packed as
 * what they point to, outside refused with a 400 naming the link and its target.
 */
public final class PackageWriter {
    private PackageWriter() {
    }

    /** Writes {@code dir} as a zip to {@code out}; returns the number of files. */
    public static int zip(Path dir, OutputStream out) throws IOException {
        return zip(dir, out, p -> true);
    }

    /** Writes the files of {@code dir} that {@code include} accepts (relative paths) as a zip to {@code out}. */
    public static int zip(Path dir, OutputStream out, java.util.function.Predicate<String> include) throws IOException {
        List<PackageArchive.Source> files = PackageArchive.list(dir, include);
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.setLevel(6);
            for (PackageArchive.Source f : files) {
                ZipEntry e = new ZipEntry(f.path());
                e.setTime(0);
                zip.putNextEntry(e);
                try (var in = PackageArchive.open(f)) {
                    in.transferTo(zip);
                }
                zip.closeEntry();
            }
        }
        return files.size();
    }
}
