package dev.nest.sidecar;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** Gives each test a fresh {@link AgentFixture} (no pool, 16 pods) in a temporary directory, closed after it. */
abstract class AgentTestBase {
    @TempDir
    Path dir;

    AgentFixture f;
    NodeAgent agent;

    @BeforeEach
    void createAgent() {
        f = new AgentFixture(dir);
        agent = f.agent();
    }

    @AfterEach
    void closeAgent() {
        f.close();
    }
}
