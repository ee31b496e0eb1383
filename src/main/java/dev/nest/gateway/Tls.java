package dev.nest.gateway;

import dev.nest.config.ConfigException;
import dev.nest.config.TlsConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * TLS on the public port ({@code server.tls}) and for the calls nodes make to each other's public port.
 *
 * <p>Serving: the PEM certificate chain of {@code server.tls.cert} and the unencrypted PKCS#8 PEM key of
 * {@code server.tls.key} (checked to belong together), through Netty's {@code SslHandler} with the JDK's provider,
 * TLS 1.3 and 1.2. Calling peers: the certificates of {@code server.tls.ca} are trusted, with the usual host name
 * check (each node's certificate names the address it advertises); without a CA, a peer is trusted only when it
 * presents this node's own certificate (every node of the cluster shares one certificate and key; no host name check,
 * since the pin is exact). {@link #load} reads and checks everything at start, with an error naming the key and the
 * file. Immutable; any thread.
 */
public final class Tls {
    final SslContext server;
    final SslContext client;
    private final SSLContext jdkClient;

    private Tls(SslContext server, SslContext client, SSLContext jdkClient) {
        this.server = server;
        this.client = client;
        this.jdkClient = jdkClient;
    }

    /**
     * The TLS of {@code config}, or empty when it is off.
     *
     * @throws ConfigException naming the key and file that cannot be read or do not fit together
     */
    public static Optional<Tls> load(TlsConfig config) {
        if (!config.enabled()) {
            return Optional.empty();
        }
        List<X509Certificate> chain = certificates("server.tls.cert", config.cert());
        PrivateKey key = privateKey("server.tls.key", config.key());
        matches(key, chain.getFirst(), config);
        boolean pinned = config.ca().isEmpty();
        List<X509Certificate> anchors = pinned ? List.of(chain.getFirst()) : certificates("server.tls.ca", config.ca());
        try {
            X509ExtendedTrustManager trust = trustManager(anchors, pinned);
            SslContext server = SslContextBuilder.forServer(key, chain).sslProvider(SslProvider.JDK)
                    .protocols("TLSv1.3", "TLSv1.2").build();
            SslContext client = SslContextBuilder.forClient().sslProvider(SslProvider.JDK).trustManager(trust)
                    .endpointIdentificationAlgorithm(pinned ? null : "HTTPS").protocols("TLSv1.3", "TLSv1.2").build();
            SSLContext jdk = SSLContext.getInstance("TLS");
            jdk.init(null, new TrustManager[] {trust}, new SecureRandom());
            return Optional.of(new Tls(server, client, jdk));
        } catch (GeneralSecurityException | IOException e) {
            throw new ConfigException("server.tls: cannot set up TLS with " + config.cert() + " and " + config.key() + ": "
                    + e.getMessage(), e);
        }
    }

    /** For the nodes' {@code java.net.http} clients of each other's public port: trusts peers as described above. */
    public SSLContext peerContext() {
        return jdkClient;
    }

    /** The certificates in PEM file {@code file} ({@code key}: the config key that named it). */
    static List<X509Certificate> certificates(String key, String file) {
        byte[] pem = read(key, file);
        try {
            List<X509Certificate> out = new ArrayList<>();
            CertificateFactory f = CertificateFactory.getInstance("X.509");
            for (var c : f.generateCertificates(new ByteArrayInputStream(pem))) {
                out.add((X509Certificate) c);
            }
            if (out.isEmpty()) {
                throw new CertificateException("no certificate in it");
            }
            return out;
        } catch (CertificateException e) {
            throw new ConfigException(key + ": " + file + " is not a PEM certificate (-----BEGIN CERTIFICATE-----): "
                    + e.getMessage(), e);
        }
    }

    /** The private key in PEM file {@code file}: unencrypted PKCS#8 (RSA, EC or Ed25519). */
    static PrivateKey privateKey(String key, String file) {
        String pem = new String(read(key, file), StandardCharsets.US_ASCII);
        String begin = "-----BEGIN PRIVATE KEY-----";
        int from = pem.indexOf(begin);
        int to = pem.indexOf("-----END PRIVATE KEY-----");
        if (from < 0 || to < from) {
            String hint = pem.contains("ENCRYPTED PRIVATE KEY") ? "it is encrypted; give an unencrypted one"
                    : pem.contains("RSA PRIVATE KEY") || pem.contains("EC PRIVATE KEY")
                    ? "it is in the older PKCS#1/SEC1 form; convert it with 'openssl pkcs8 -topk8 -nocrypt -in "
                    + file + " -out key.pem'" : "no -----BEGIN PRIVATE KEY----- block";
            throw new ConfigException(key + ": " + file + " is not an unencrypted PKCS#8 PEM private key: " + hint);
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(pem.substring(from + begin.length(), to));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key + ": " + file + " has a private key that is not valid base64", e);
        }
        for (String algorithm : List.of("RSA", "EC", "Ed25519")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // next algorithm
            }
        }
        throw new ConfigException(key + ": " + file + " holds a private key that is not RSA, EC or Ed25519");
    }

    /** Fails unless {@code key} belongs to {@code cert}: a value signed by the key verifies with the certificate. */
    private static void matches(PrivateKey key, X509Certificate cert, TlsConfig config) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> key.getAlgorithm();
        };
        try {
            byte[] probe = "nest tls probe".getBytes(StandardCharsets.US_ASCII);
            Signature s = Signature.getInstance(algorithm);
            s.initSign(key);
            s.update(probe);
            byte[] signed = s.sign();
            Signature v = Signature.getInstance(algorithm);
            v.initVerify(cert.getPublicKey());
            v.update(probe);
            if (v.verify(signed)) {
                return;
            }
        } catch (GeneralSecurityException e) {
            // a key of another kind than the certificate's: does not match
        }
        throw new ConfigException("server.tls.key: the key in " + config.key() + " does not belong to the certificate in "
                + config.cert() + " (server.tls.cert)");
    }

    private static byte[] read(String key, String file) {
        try {
            return Files.readAllBytes(Path.of(file));
        } catch (IOException | RuntimeException e) {
            throw new ConfigException(key + ": cannot read " + file + " (" + e.getMessage() + ")", e);
        }
    }

    private static X509ExtendedTrustManager trustManager(List<X509Certificate> anchors, boolean pinned)
            throws GeneralSecurityException, IOException {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        for (int i = 0; i < anchors.size(); i++) {
            store.setCertificateEntry("anchor-" + i, anchors.get(i));
        }
        TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        f.init(store);
        X509ExtendedTrustManager pkix = null;
        for (TrustManager t : f.getTrustManagers()) {
            if (t instanceof X509ExtendedTrustManager x) {
                pkix = x;
            }
        }
        if (pkix == null) {
            throw new GeneralSecurityException("no X.509 trust manager");
        }
        return pinned ? new Pinned(pkix, anchors.getFirst()) : pkix;
    }

    /** Trusts exactly one certificate, whatever name it was reached by (see the class comment). */
    private static final class Pinned extends X509ExtendedTrustManager {
        private final X509TrustManager pkix;
        private final X509Certificate pin;

        Pinned(X509TrustManager pkix, X509Certificate pin) {
            this.pkix = pkix;
            this.pin = pin;
        }

        private void check(X509Certificate[] chain, String authType) throws CertificateException {
            if (chain == null || chain.length == 0 || !chain[0].equals(pin)) {
                throw new CertificateException("the peer does not present this cluster's certificate (server.tls.cert)");
            }
            pkix.checkServerTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            check(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            check(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            check(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("client certificates are not used");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            throw new CertificateException("client certificates are not used");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            throw new CertificateException("client certificates are not used");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[] {pin};
        }
    }
}
