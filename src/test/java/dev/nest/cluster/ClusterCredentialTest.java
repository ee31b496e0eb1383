package dev.nest.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.common.NestException;
import dev.nest.config.NestConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The cluster credential: what {@code verify} accepts, what it derives, and where its secret comes from. */
class ClusterCredentialTest {
    private static final ClusterCredential CREDENTIAL = ClusterCredential.of("correct-horse-battery-staple");

    static Stream<Arguments> presented() {
        String right = CREDENTIAL.header();
        return Stream.of(
                Arguments.of("the header value", right, true),
                Arguments.of("the header value with surrounding blanks", " " + right + " ", true),
                Arguments.of("absent", null, false),
                Arguments.of("empty", "", false),
                Arguments.of("one character short", right.substring(1), false),
                Arguments.of("one character more", right + "A", false),
                Arguments.of("one character changed", (right.charAt(0) == 'A' ? "B" : "A") + right.substring(1), false),
                Arguments.of("the raw secret", "correct-horse-battery-staple", false),
                Arguments.of("another secret's header", ClusterCredential.of("another-cluster-secret").header(), false),
                Arguments.of("the ZooKeeper password", CREDENTIAL.zooKeeperAuth().substring("nest:".length()), false));
    }

    @ParameterizedTest(name = "{0}: {2}")
    @MethodSource("presented")
    void verifyAcceptsOnlyTheHeaderValueOfTheSameSecret(String what, String value, boolean accepted) {
        assertEquals(accepted, CREDENTIAL.verify(value), what);
    }

    @Test
    void requireRefusesAMissingOrWrongHeaderWith401() {
        CREDENTIAL.require(CREDENTIAL.header());
        for (String wrong : new String[] {null, "", "nope"}) {
            NestException e = assertThrows(NestException.class, () -> CREDENTIAL.require(wrong));
            assertEquals(401, e.status());
            assertTrue(e.detail().contains(ClusterCredential.HEADER) && e.detail().contains("cluster.secret"), e.detail());
        }
    }

    @Test
    void theDerivedValuesAreStableAndNeverTheSecret() {
        ClusterCredential same = ClusterCredential.of("correct-horse-battery-staple");
        assertEquals(CREDENTIAL.header(), same.header());
        assertEquals(CREDENTIAL.zooKeeperAuth(), same.zooKeeperAuth());
        assertNotEquals(CREDENTIAL.header(), CREDENTIAL.zooKeeperAuth().substring("nest:".length()));
        assertFalse(CREDENTIAL.header().contains("correct-horse"));
        assertFalse(CREDENTIAL.zooKeeperAuth().contains("correct-horse"));
        assertFalse(CREDENTIAL.toString().contains("correct-horse"));
        assertEquals(32, Base64.getUrlDecoder().decode(CREDENTIAL.header()).length, "an HMAC-SHA256");
    }

    @Test
    void aShortSecretIsRefused() {
        ClusterException e = assertThrows(ClusterException.class, () -> ClusterCredential.of("short"));
        assertTrue(e.detail().contains("at least 16"), e.detail());
        assertFalse(e.detail().contains("short"), e.detail());
    }

    private static NestConfig.Cluster cluster(String zookeeper) {
        return new NestConfig.Cluster(zookeeper, 0, Duration.ofSeconds(15), Duration.ofSeconds(5), Duration.ofSeconds(10));
    }

    @Test
    void theEmbeddedServerGeneratesAnOwnerOnlySecretOnceAndReusesIt(@TempDir Path data) throws Exception {
        ClusterCredential first = ClusterCredential.resolve(cluster(""), data);
        Path file = data.resolve(ClusterCredential.SECRET_FILE);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        String secret = Files.readString(file).strip();
        assertEquals(32, Base64.getUrlDecoder().decode(secret).length, "32 random bytes");
        assertFalse(Files.exists(data.resolve(ClusterCredential.SECRET_FILE + ".tmp")));
        ClusterCredential again = ClusterCredential.resolve(cluster(""), data);
        assertEquals(first.header(), again.header(), "later starts reuse it");
        assertEquals(secret, Files.readString(file).strip());
        assertEquals(ClusterCredential.of(secret).header(), first.header());

        Path other = Files.createDirectory(data.resolve("other"));
        assertNotEquals(first.header(), ClusterCredential.resolve(cluster(""), other).header(), "random per server");
    }

    @Test
    void aConfiguredSecretWinsAndASecretFileIsRead(@TempDir Path data) throws Exception {
        assertEquals(CREDENTIAL.header(),
                ClusterCredential.resolve(cluster("").withSecret("correct-horse-battery-staple"), data).header());
        assertFalse(Files.exists(data.resolve(ClusterCredential.SECRET_FILE)), "nothing generated");

        Path file = data.resolve("secret");
        Files.writeString(file, "correct-horse-battery-staple\n");
        NestConfig.Cluster c = cluster("zk:2181");
        NestConfig.Cluster withFile = new NestConfig.Cluster(c.zookeeper(), c.embeddedPort(), c.sessionTimeout(),
                c.connectionTimeout(), c.operationTimeout(), c.artifactReplicas(), c.nodeProbe(), "", file.toString());
        assertEquals(CREDENTIAL.header(), ClusterCredential.resolve(withFile, data).header());
    }

    @Test
    void anEnsembleWithoutASecretIsRefusedSayingWhatToSet(@TempDir Path data) {
        ClusterException e = assertThrows(ClusterException.class,
                () -> ClusterCredential.resolve(cluster("zk1:2181,zk2:2181"), data));
        assertTrue(e.detail().contains("cluster.secret") && e.detail().contains("every node"), e.detail());
        assertFalse(Files.exists(data.resolve(ClusterCredential.SECRET_FILE)), "nothing generated");
    }

    @Test
    void aMissingSecretFileIsNamed(@TempDir Path data) {
        NestConfig.Cluster c = cluster("zk:2181");
        NestConfig.Cluster withFile = new NestConfig.Cluster(c.zookeeper(), c.embeddedPort(), c.sessionTimeout(),
                c.connectionTimeout(), c.operationTimeout(), c.artifactReplicas(), c.nodeProbe(), "",
                data.resolve("missing").toString());
        ClusterException e = assertThrows(ClusterException.class, () -> ClusterCredential.resolve(withFile, data));
        assertTrue(e.detail().contains("missing") && e.detail().contains("cluster.secret-file"), e.detail());
    }
}
