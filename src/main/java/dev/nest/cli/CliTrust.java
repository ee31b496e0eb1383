package dev.nest.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * What the CLI trusts for an {@code https://} server URL: the JDK's default trust store, plus the PEM certificates of
 * the file named by {@value #ENV_CA} when it is set (a node's self-signed certificate, or the CA of
 * {@code server.tls.ca}). Host names are checked as for any https URL. A file that cannot be read or holds no PEM
 * certificate is a {@link CliException} naming {@value #ENV_CA} and the file. Stateless.
 */
final class CliTrust {
    /** Environment variable: a PEM file of certificates to trust besides the JDK's default trust store. */
    static final String ENV_CA = "NEST_CA";

    private CliTrust() {
    }

    /** The context for {@code env}'s {@value #ENV_CA}, or empty (the JDK's default) when it is not set. */
    static Optional<SSLContext> fromEnv(Map<String, String> env) {
        String file = env.get(ENV_CA);
        if (file == null || file.isBlank()) {
            return Optional.empty();
        }
        return Optional.of(trusting(Path.of(file.strip())));
    }

    /**
     * A context that trusts no certificate, for a plain {@code http://} server: the HTTP client wants a TLS context
     * when it is built, and the JDK's default one reads its whole trust store (a tenth of a short command's start-up)
     * for a connection that never uses TLS. Should anything try TLS with it, the handshake fails.
     */
    static SSLContext none() {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(new javax.net.ssl.KeyManager[0], new TrustManager[0], null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new CliException("cannot set up the HTTP client (" + e.getMessage() + ")");
        }
    }

    /** A client context trusting the JDK's default anchors and the certificates in PEM file {@code pem}. */
    static SSLContext trusting(Path pem) {
        Collection<? extends Certificate> extra;
        try (InputStream in = Files.newInputStream(pem)) {
            extra = CertificateFactory.getInstance("X.509").generateCertificates(in);
        } catch (IOException | RuntimeException e) {
            throw new CliException(ENV_CA + ": cannot read " + pem + " (" + e.getMessage() + ")");
        } catch (CertificateException e) {
            throw new CliException(ENV_CA + ": " + pem + " is not a PEM certificate file (" + e.getMessage() + ")");
        }
        if (extra.isEmpty()) {
            throw new CliException(ENV_CA + ": " + pem + " holds no certificate (-----BEGIN CERTIFICATE-----)");
        }
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (X509Certificate c : defaultAnchors()) {
                store.setCertificateEntry("default-" + i++, c);
            }
            for (Certificate c : extra) {
                store.setCertificateEntry("nest-ca-" + i++, c);
            }
            TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            f.init(store);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, f.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new CliException(ENV_CA + ": cannot set up TLS with " + pem + " (" + e.getMessage() + ")");
        }
    }

    private static X509Certificate[] defaultAnchors() throws GeneralSecurityException {
        TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        f.init((KeyStore) null);
        for (TrustManager t : f.getTrustManagers()) {
            if (t instanceof X509TrustManager x) {
                return x.getAcceptedIssuers();
            }
        }
        return new X509Certificate[0];
    }
}
