package dev.nest.config;

/**
 * TLS on the public port ({@code server.tls}): the PEM certificate chain and private key it serves with, and the
 * PEM certificate(s) a node trusts when it calls another node over TLS ({@code ca}; empty: the node's own
 * certificate). All empty: plain HTTP. Paths are resolved against the working directory; the files are read and
 * checked when the server starts, with an error naming the key and the file.
 *
 * @param cert {@code server.tls.cert}, empty for no TLS
 * @param key  {@code server.tls.key} (PKCS#8 PEM, unencrypted), required with {@code cert}
 * @param ca   {@code server.tls.ca}, empty to trust the node's own certificate
 */
public record TlsConfig(String cert, String key, String ca) {
    /** Plain HTTP. */
    public static final TlsConfig NONE = new TlsConfig("", "", "");

    /** Whether the public port serves TLS. */
    public boolean enabled() {
        return !cert.isEmpty();
    }

    /** The scheme nodes use to call each other's public port. */
    public String scheme() {
        return enabled() ? "https" : "http";
    }

    /**
     * The settings read from a config file through {@code path} (the resolved path a key names, empty when unset); a
     * key without its pair is reported to {@code problems}.
     */
    static TlsConfig of(java.util.function.UnaryOperator<String> path, Problems problems) {
        String cert = path.apply("server.tls.cert");
        String key = path.apply("server.tls.key");
        String ca = path.apply("server.tls.ca");
        if (cert.isEmpty() != key.isEmpty()) {
            problems.problem(cert.isEmpty() ? "server.tls.cert" : "server.tls.key", "",
                    "set together with " + (cert.isEmpty() ? "server.tls.key" : "server.tls.cert") + " (PEM files)");
        }
        if (cert.isEmpty() && !ca.isEmpty()) {
            problems.problem("server.tls.ca", ca, "empty unless server.tls.cert and server.tls.key are set");
        }
        return new TlsConfig(cert, key, ca);
    }

    /** Where {@link #of} reports a problem: the key, its value, what is allowed. */
    @FunctionalInterface
    interface Problems {
        void problem(String key, String value, String allowed);
    }
}
