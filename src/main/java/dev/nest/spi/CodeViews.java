package dev.nest.spi;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Read-only views of code versions, for drivers whose pods must see the code of the versions they host and no
 * other: a view of a code directory is a tree of directories (0755) holding hard links to its files (one
 * {@code link(2)} per file, no copy), made inside a directory that only the pod can see.
 *
 * <p>A view appears by one atomic rename of a complete tree, so a pod never sees half of one, and concurrent
 * requests for the same view agree on the result. Files are linked, not copied, unless they are on another file
 * system ({@code EXDEV}) or writable by group or others (a pod must not share such an inode): those are copied
 * (0444, or 0555 when executable). A linked file that others cannot read is made readable (0444/0555) on its shared
 * inode: the code store means its files to be read-only for everyone, and its directories keep other pods out.
 * Symbolic links are recreated as they are (they resolve inside the pod's own view of the file system).
 *
 * <p>Failure: an {@link IOException} leaves at most a {@code .building-*} directory behind, which the next
 * request for the same view replaces. Stateless and thread-safe.
 */
public final class CodeViews {
    private static final Set<PosixFilePermission> READ_DIR = PosixFilePermissions.fromString("rwxr-xr-x");
    private static final Set<PosixFilePermission> READ_FILE = PosixFilePermissions.fromString("r--r--r--");
    private static final Set<PosixFilePermission> READ_EXEC_FILE = PosixFilePermissions.fromString("r-xr-xr-x");

    private CodeViews() {
    }

    /**
     * The view of {@code codeDir} at {@code views/<name>}, made on first use. {@code name} is a relative path
     * (missing parents are made 0755); an existing directory there is taken as the complete view.
     */
    public static Path view(Path views, Path codeDir, String name) throws IOException {
        Path root = views.normalize();
        Path view = root.resolve(name).normalize();
        if (!view.startsWith(root) || view.equals(root)) {
            throw new IOException("a view of " + codeDir + " cannot be named " + name);
        }
        if (Files.isDirectory(view, LinkOption.NOFOLLOW_LINKS)) {
            return view; // complete: a view appears by one atomic rename
        }
        createReadableDirs(root, view.getParent());
        Path src = codeDir.toAbsolutePath().normalize();
        Path building = view.resolveSibling(view.getFileName() + ".building-" + Thread.currentThread().threadId());
        deleteTree(building);
        link(src, building);
        try {
            Files.move(building, view, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException raced) {
            // another request for the same view finished first; its view is the same
            deleteTree(building);
        } catch (java.nio.file.FileSystemException raced) {
            // an atomic rename onto a directory that another request completed meanwhile fails with ENOTEMPTY, which
            // the JDK reports as a plain FileSystemException ("Directory not empty"): the same race as above
            if (!Files.isDirectory(view, LinkOption.NOFOLLOW_LINKS)) {
                throw raced;
            }
            deleteTree(building);
        }
        return view;
    }

    /** Deletes {@code dir} and everything in it, if it exists; symbolic links are removed, never followed. */
    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static void createReadableDirs(Path views, Path dir) throws IOException {
        if (dir.equals(views) || Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        createReadableDirs(views, dir.getParent());
        try {
            Files.createDirectory(dir);
            Files.setPosixFilePermissions(dir, READ_DIR);
        } catch (FileAlreadyExistsException raced) {
            // made by a concurrent request
        }
    }

    private static void link(Path src, Path dst) throws IOException {
        Files.walkFileTree(src, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                Path target = dst.resolve(src.relativize(d).toString());
                Files.createDirectory(target);
                Files.setPosixFilePermissions(target, READ_DIR);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                Path target = dst.resolve(src.relativize(f).toString());
                if (attrs.isSymbolicLink()) {
                    Files.createSymbolicLink(target, Files.readSymbolicLink(f));
                    return FileVisitResult.CONTINUE;
                }
                if (!attrs.isRegularFile()) {
                    return FileVisitResult.CONTINUE;
                }
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(f, LinkOption.NOFOLLOW_LINKS);
                boolean exec = perms.contains(PosixFilePermission.OWNER_EXECUTE);
                boolean writableByOthers = perms.contains(PosixFilePermission.GROUP_WRITE)
                        || perms.contains(PosixFilePermission.OTHERS_WRITE);
                try {
                    if (writableByOthers) {
                        throw new FileSystemException(f.toString(), null, "writable by others: copied, not linked");
                    }
                    Files.createLink(target, f);
                    if (!perms.contains(PosixFilePermission.OTHERS_READ)) {
                        Files.setPosixFilePermissions(target, exec ? READ_EXEC_FILE : READ_FILE);
                    }
                } catch (FileSystemException notLinkable) {
                    // another file system (EXDEV), or a file a pod must not share: a private read-only copy
                    Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING);
                    Files.setPosixFilePermissions(target, exec ? READ_EXEC_FILE : READ_FILE);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
