package dev.nest.it.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.it.Engines;
import dev.nest.it.Fixtures;
import dev.nest.it.Poll;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Two Nest processes (127.0.0.1, .2) of one region on an external ZooKeeper, both with {@code server.tls} on: one
 * certificate for both nodes made in the test with keytool (naming both addresses), given as {@code server.tls.ca}
 * too, so the nodes' calls to each other check host names. The nodes advertise {@code https} URLs; a deploy on one
 * node returns once the package is on the other (pushed over https); the node that does not lead reports its load to
 * the leader (over https); an invocation entering one node is forwarded to the other's warm instance (over TLS).
 *
 * <p>Limit: both nodes listen on loopback addresses, where the public port also accepts plain HTTP (the node's own
 * loopback clients use it), so this test cannot show that a plain-HTTP call between nodes on other addresses is
 * refused; it shows the advertised scheme is https, that the public port speaks TLS with the certificate, and that
 * the calls made to those https URLs succeed (an https URL never falls back to plain HTTP).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterTlsIT {
    private static final String REGION = "it-tls";

    /** Kept after the run (target/it-cluster-tls/<time>): the nodes' config files and server.log. */
    static Path scratch;
    static TestingServer zookeeper;
    static Path cert;
    static final List<NestProcess> nodes = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        Engines.requireNode();
        scratch = Files.createDirectories(Fixtures.projectRoot().resolve("target/it-cluster-tls/" + System.currentTimeMillis()));
        Path key = certificate(scratch);
        cert = scratch.resolve("cert.pem");
        zookeeper = new TestingServer(true);
        String[][] layout = {{"n1", "127.0.0.1"}, {"n2", "127.0.0.2"}};
        for (int i = 0; i < layout.length; i++) {
            String id = layout[i][0];
            String address = layout[i][1];
            int from = 37_000 + i * 1_000;
            int port = Fixtures.freePort(address);
            Path home = scratch.resolve(id);
            Fixtures.writeNodeConfig(home, id, address, port, "zone-a", REGION, zookeeper.getConnectString(),
                    Duration.ofSeconds(4), Duration.ofSeconds(3), from + "-" + (from + 999));
            Path config = home.resolve("nest.yaml");
            String tls = "  tls:\n    cert: " + cert + "\n    key: " + key + "\n    ca: " + cert + "\n";
            String yaml = Files.readString(config);
            assertTrue(yaml.contains("  shutdown-grace: 1s\n"), yaml);
            Files.writeString(config, yaml.replace("  shutdown-grace: 1s\n", "  shutdown-grace: 1s\n" + tls));
            nodes.add(NestProcess.startWritten(id, address, port, "zone-a", home));
        }
        for (NestProcess n : nodes) {
            Poll.until("both nodes in " + n + "'s node list", () -> ClusterIT.nodeIds(n), ids -> ids.equals(Set.of("n1", "n2")));
        }
    }

    @AfterAll
    static void stop() throws IOException {
        for (NestProcess n : nodes) {
            n.close();
        }
        if (zookeeper != null) {
            zookeeper.close();
        }
    }

    @Test
    @Order(1)
    void theNodesAdvertiseHttpsAndServeTlsWithTheCertificate() throws Exception {
        for (NestProcess n : nodes) {
            for (JsonNode node : n.http.get("/api/v1/nodes").json()) {
                assertEquals("https", node.path("labels").path("scheme").asText(), "as " + n + " sees it: " + node);
            }
            HttpClient client = HttpClient.newBuilder().sslContext(trusting(cert)).build();
            HttpResponse<String> health = client.send(HttpRequest.newBuilder(
                    URI.create("https://" + n.address + ":" + n.port + "/health")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode(), "/health over https on " + n + ": " + health.body());
        }
    }

    @Test
    @Order(2)
    void aDeployReachesTheOtherNodeOverHttpsAndAForwardedInvocationWorks() {
        NestProcess first = nodes.get(0);
        NestProcess second = nodes.get(1);
        String digest = first.http.upload("nodejs", ClusterIT.code(scratch, "tls-v1"));
        first.http.deploy("secure", ClusterIT.spec(), digest);
        // cluster.artifact-replicas is 2: the deploy returned once the package was pushed to the other node
        assertEquals(200, second.http.get("/api/v1/artifacts/manifests/" + digest).status(),
                "the package on " + second + " right after the deploy on " + first + "\n" + first.logTail());

        assertEquals("tls-v1", ClusterIT.answer(first.http.get("/fn/secure")));
        Poll.until(first.id + "'s ready instance of secure in " + second + "'s routing table",
                () -> ClusterIT.readyNodes(second, "default/secure").contains(first.id), ok -> ok);
        for (int i = 0; i < 3; i++) {
            assertEquals("tls-v1", ClusterIT.answer(second.http.get("/fn/secure")), "via " + second);
        }
        // served by the first node's warm instance: the second node forwarded instead of starting one
        assertEquals(0, second.http.get("/api/v1/instances").json().size(), "instances on " + second);
    }

    @Test
    @Order(3)
    void theFollowersLoadReportsReachTheLeader() {
        String leaderId = Poll.until("a leader", () -> nodes.get(0).http.get("/api/v1/cluster").json().path("leader").asText(),
                id -> !id.isEmpty());
        NestProcess leader = nodes.stream().filter(n -> n.id.equals(leaderId)).findFirst().orElseThrow();
        NestProcess follower = nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
        JsonNode load = Poll.until("the leader " + leaderId + " holds " + follower.id + "'s load report",
                Duration.ofSeconds(20), () -> leader.http.get("/api/v1/cluster/load").json(),
                l -> l.path("nodes").has(follower.id));
        assertTrue(load.path("nodes").has(follower.id), load::toString);
    }

    /** A client context trusting exactly the PEM certificate {@code pem}. */
    private static SSLContext trusting(Path pem) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        try (InputStream in = Files.newInputStream(pem)) {
            ks.setCertificateEntry("nest", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    /**
     * A self-signed EC certificate naming 127.0.0.1 and 127.0.0.2, made with the JDK's keytool, written as
     * {@code dir/cert.pem} and the unencrypted PKCS#8 {@code dir/key.pem}; returns the key's path.
     */
    private static Path certificate(Path dir) throws Exception {
        Path store = dir.resolve("tls.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "nest", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=nest-it", "-ext", "SAN=ip:127.0.0.1,ip:127.0.0.2,dns:localhost", "-validity", "2",
                "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", "changeit", "-keypass", "changeit")
                .redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("keytool failed: " + new String(out, StandardCharsets.UTF_8));
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, "changeit".toCharArray());
        }
        Files.writeString(dir.resolve("cert.pem"), pem("CERTIFICATE", ks.getCertificate("nest").getEncoded()));
        Path key = dir.resolve("key.pem");
        Files.writeString(key, pem("PRIVATE KEY", ks.getKey("nest", "changeit".toCharArray()).getEncoded()));
        return key;
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
