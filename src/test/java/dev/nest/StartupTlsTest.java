package dev.nest;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nest.config.ConfigException;
import dev.nest.config.NestConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every node may turn TLS on, a node of an external ensemble too (its calls to peers use https, ADR 0014). */
class StartupTlsTest {
    @TempDir
    Path dir;

    @Test
    void aNodeOfAnExternalEnsembleReadsItsFilesAsASingleNodeDoes() throws Exception {
        Path f = Files.writeString(dir.resolve("nest.yaml"), "server:\n  tls:\n    cert: " + dir.resolve("c.pem")
                + "\n    key: " + dir.resolve("k.pem") + "\ncluster:\n  zookeeper: zk1:2181\n  secret: " + "s".repeat(40) + "\n");
        ConfigException e = assertThrows(ConfigException.class, () -> Startup.tls(NestConfig.load(f)));
        // the file is read (and found missing): TLS is no longer refused for a cluster node
        assertTrue(e.getMessage().contains("server.tls.cert") && e.getMessage().contains("c.pem")
                && !e.getMessage().contains("cluster.zookeeper"), e.getMessage());
    }

    @Test
    void withoutTlsNothingIsRead() {
        assertTrue(Startup.tls(NestConfig.defaults()).isEmpty());
    }

    @Test
    void aSingleNodeReadsItsFilesAndNamesTheOneMissing() throws Exception {
        Path f = Files.writeString(dir.resolve("nest.yaml"), "server:\n  tls:\n    cert: " + dir.resolve("none.pem")
                + "\n    key: " + dir.resolve("none-key.pem") + "\n");
        ConfigException e = assertThrows(ConfigException.class, () -> Startup.tls(NestConfig.load(f)));
        assertTrue(e.getMessage().contains("server.tls.cert") && e.getMessage().contains("none.pem"), e.getMessage());
    }
}
