package dev.nest.sidecar;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gives each test a fresh {@link AgentFixture} in a temporary directory, closed after it: 16 pods at most, a warm
 * pool of {@link #poolSize()} pods and a previous-version keep-alive of 0 with a pool, the default without.
 */
abstract class AgentTestBase {
    @TempDir
    Path dir;

    AgentFixture f;
    NodeAgent agent;

    @BeforeEach
    void createAgent() {
        f = new AgentFixture(dir);
        agent = poolSize() == 0 ? f.agent() : f.agent(poolSize(), 16, Duration.ZERO);
    }

    /** The size of the agent's warm pool; none unless a test class says otherwise. */
    int poolSize() {
        return 0;
    }

    @AfterEach
    void closeAgent() {
        f.close();
    }
}
