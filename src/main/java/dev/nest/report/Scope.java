package dev.nest.report;

/**
 * What a report covers: one function ({@code namespace/name}) or every function of a namespace.
 *
 * @param function whether {@code name} is a function ({@code namespace/name}) rather than a namespace
 * @param name     the function or the namespace
 */
public record Scope(boolean function, String name) {
    public static Scope function(String namespaceSlashName) {
        if (namespaceSlashName.indexOf('/') < 1) {
            throw new IllegalArgumentException("a function scope is namespace/name, not '" + namespaceSlashName + "'");
        }
        return new Scope(true, namespaceSlashName);
    }

    public static Scope namespace(String namespace) {
        if (namespace.isEmpty() || namespace.contains("/")) {
            throw new IllegalArgumentException("a namespace scope has no '/': '" + namespace + "'");
        }
        return new Scope(false, namespace);
    }

    /** The namespace the scope lies in. */
    public String namespace() {
        return function ? name.substring(0, name.indexOf('/')) : name;
    }

    /** Whether a bucket of {@code fn} ({@code namespace/name}) belongs to this scope. */
    public boolean covers(String fn) {
        return function ? fn.equals(name) : fn.startsWith(name + "/");
    }
}
