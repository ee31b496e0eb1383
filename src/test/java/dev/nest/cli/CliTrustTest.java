package dev.nest.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI's trust for an https server: NEST_CA adds a PEM file's certificates; bad files are named. */
class CliTrustTest {
    @TempDir
    Path dir;

    @Test
    void withoutNestCaTheJdkDefaultIsUsed() {
        assertTrue(CliTrust.fromEnv(Map.of()).isEmpty());
        assertTrue(CliTrust.fromEnv(Map.of(CliTrust.ENV_CA, " ")).isEmpty());
    }

    @Test
    void aMissingOrNonPemFileIsNamed() throws Exception {
        Path missing = dir.resolve("none.pem");
        CliException e = assertThrows(CliException.class, () -> CliTrust.fromEnv(Map.of(CliTrust.ENV_CA, missing.toString())));
        assertTrue(e.getMessage().contains("NEST_CA") && e.getMessage().contains("none.pem"), e.getMessage());
        Path text = Files.writeString(dir.resolve("text.pem"), "not a certificate\n");
        e = assertThrows(CliException.class, () -> CliTrust.fromEnv(Map.of(CliTrust.ENV_CA, text.toString())));
        assertTrue(e.getMessage().contains("NEST_CA") && e.getMessage().contains("text.pem"), e.getMessage());
    }

    @Test
    void aServerWithASelfSignedCertificateIsReachedWithNestCaAndRefusedWithout() throws Exception {
        Path store = dir.resolve("server.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "nest", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=localhost", "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-keystore", store.toString(),
                "-storetype", "PKCS12", "-storepass", "changeit", "-keypass", "changeit").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, out);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, "changeit".toCharArray());
        }
        Path pem = Files.writeString(dir.resolve("cert.pem"), "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(ks.getCertificate("nest").getEncoded())
                + "\n-----END CERTIFICATE-----\n");
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "changeit".toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(ctx));
        server.createContext("/", x -> {
            byte[] body = "{\"ok\":true}".getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(200, body.length);
            x.getResponseBody().write(body);
            x.close();
        });
        server.start();
        try {
            String url = "https://127.0.0.1:" + server.getAddress().getPort();
            ApiClient trusting = new ApiClient(url, Optional.empty(), "", CliTrust.fromEnv(Map.of(CliTrust.ENV_CA, pem.toString())));
            assertEquals(true, trusting.get("/api/v1/x").path("ok").asBoolean());
            CliException e = assertThrows(CliException.class, () -> new ApiClient(url).get("/api/v1/x"));
            assertTrue(e.getMessage().contains(url), e.getMessage());
        } finally {
            server.stop(0);
        }
    }
}
