package dev.nest.function;

import java.util.regex.Pattern;

/** A function's identity: its namespace and name. Printed as {@code namespace/name}. */
public record FunctionId(String namespace, String name) implements Comparable<FunctionId> {
    /** Names and namespaces are DNS labels: lower-case letters, digits and dashes, 1 to 63 characters. */
    public static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    public static final String LABEL_RULE = "1 to 63 lower-case letters, digits or '-', starting and ending with a letter or digit";
    public static final String DEFAULT_NAMESPACE = "default";

    public FunctionId {
        if (namespace == null || !LABEL.matcher(namespace).matches()) {
            throw new IllegalArgumentException("namespace '" + namespace + "' is not valid: use " + LABEL_RULE);
        }
        if (name == null || !LABEL.matcher(name).matches()) {
            throw new IllegalArgumentException("function name '" + name + "' is not valid: use " + LABEL_RULE);
        }
    }

    public static FunctionId of(String namespace, String name) {
        return new FunctionId(namespace == null || namespace.isEmpty() ? DEFAULT_NAMESPACE : namespace, name);
    }

    /** Parses {@code namespace/name} or a bare {@code name} (default namespace). */
    public static FunctionId parse(String text) {
        int slash = text.indexOf('/');
        return slash < 0 ? of(DEFAULT_NAMESPACE, text) : of(text.substring(0, slash), text.substring(slash + 1));
    }

    @Override
    public int compareTo(FunctionId o) {
        int c = namespace.compareTo(o.namespace);
        return c != 0 ? c : name.compareTo(o.name);
    }

    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
