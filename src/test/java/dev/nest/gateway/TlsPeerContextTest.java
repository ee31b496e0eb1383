package dev.nest.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.nest.config.TlsConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Tls#peerContext()}, the trust the nodes' {@code java.net.http} clients use for each other's public port:
 * without {@code server.tls.ca} exactly this node's certificate, whatever name it is reached by; with a CA, the CA's
 * certificates and the usual host name check. A JDK HTTPS server in the test presents the certificates.
 */
class TlsPeerContextTest {
    @TempDir
    static Path dir;
    private static SelfSignedCertificate node;
    private static SelfSignedCertificate other;
    /** Names neither localhost nor 127.0.0.1. */
    private static SelfSignedCertificate elsewhere;

    private HttpsServer server;

    @BeforeAll
    static void certificates() throws Exception {
        node = SelfSignedCertificate.create(dir, "node");
        other = SelfSignedCertificate.create(dir, "other");
        elsewhere = SelfSignedCertificate.create(dir, "elsewhere", "dns:elsewhere.example");
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    /** An HTTPS server on loopback presenting {@code cert}, answering 200 "peer" to every request. */
    private int serve(SelfSignedCertificate cert) throws Exception {
        List<java.security.cert.X509Certificate> chain = Tls.certificates("cert", cert.cert().toString());
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("k", Tls.privateKey("key", cert.key().toString()), "p".toCharArray(), chain.toArray(new Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "p".toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(ctx));
        server.createContext("/", x -> {
            byte[] body = "peer".getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(200, body.length);
            x.getResponseBody().write(body);
            x.close();
        });
        server.start();
        return server.getAddress().getPort();
    }

    private static Tls tls(SelfSignedCertificate cert, String ca) {
        return Tls.load(new TlsConfig(cert.cert().toString(), cert.key().toString(), ca)).orElseThrow();
    }

    /** GETs {@code https://<host>:<port>/} with the peer context of {@code tls}, as the artifact and load clients do. */
    private static HttpResponse<String> get(Tls tls, String host, int port) throws Exception {
        HttpClient client = HttpClient.newBuilder().sslContext(tls.peerContext()).build();
        return client.send(HttpRequest.newBuilder(URI.create("https://" + host + ":" + port + "/")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void withoutACaAPeerPresentingThisNodesCertificateIsTrustedByAnyName() throws Exception {
        int port = serve(node);
        Tls tls = tls(node, "");
        assertEquals("peer", get(tls, "127.0.0.1", port).body());
        assertEquals("peer", get(tls, "localhost", port).body());
    }

    @Test
    void withoutACaThePinIsExactEvenWhenTheNameMatches() throws Exception {
        int port = serve(other); // names localhost and 127.0.0.1 too, but is not this node's certificate
        IOException e = assertThrows(IOException.class, () -> get(tls(node, ""), "127.0.0.1", port));
        assertTrue(e instanceof SSLHandshakeException || e.getCause() instanceof SSLHandshakeException, e.toString());
    }

    @Test
    void withoutACaTheHostNameIsNotChecked() throws Exception {
        int port = serve(elsewhere);
        assertEquals(200, get(tls(elsewhere, ""), "127.0.0.1", port).statusCode());
    }

    @Test
    void withACaTheHostNameIsChecked() throws Exception {
        int port = serve(elsewhere);
        // the certificate is its own CA: trusted, but it does not name 127.0.0.1
        IOException e = assertThrows(IOException.class,
                () -> get(tls(elsewhere, elsewhere.cert().toString()), "127.0.0.1", port));
        assertTrue(e instanceof SSLHandshakeException || e.getCause() instanceof SSLHandshakeException, e.toString());
    }

    @Test
    void withACaAPeerWhoseCertificateTheCaIssuedForItsNameIsTrusted() throws Exception {
        int port = serve(other);
        // this node presents "node"; its CA list holds "other" (self-signed, so its own issuer), which names 127.0.0.1
        assertEquals("peer", get(tls(node, other.cert().toString()), "127.0.0.1", port).body());
    }

    @Test
    void withACaAPeerTheCaDidNotIssueIsRefused() throws Exception {
        int port = serve(node);
        IOException e = assertThrows(IOException.class, () -> get(tls(node, other.cert().toString()), "127.0.0.1", port));
        assertTrue(e instanceof SSLHandshakeException || e.getCause() instanceof SSLHandshakeException, e.toString());
    }
}
