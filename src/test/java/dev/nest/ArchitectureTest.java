package dev.nest;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.ArchConfiguration;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import dev.nest.spi.SandboxDriver;
import java.net.URISyntaxException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The module boundaries of docs/ARCHITECTURE.md and CONVENTIONS.md, checked on the compiled main classes. */
class ArchitectureTest {
    private static JavaClasses nest;

    /**
     * Imports the main classes straight from their directory (the build output that holds the SPI), and leaves
     * classes outside it as stubs named by their package: scanning the whole class path and resolving Helidon,
     * Jackson and friends takes seconds and adds nothing to rules about package names.
     */
    @BeforeAll
    static void importClasses() throws URISyntaxException {
        Path mainClasses = Path.of(SandboxDriver.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        ArchConfiguration config = ArchConfiguration.get();
        boolean resolve = config.resolveMissingDependenciesFromClassPath();
        config.setResolveMissingDependenciesFromClassPath(false);
        try {
            nest = new ClassFileImporter()
                    .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                    .importPath(mainClasses)
                    .that(JavaClass.Predicates.resideInAPackage("dev.nest.."));
        } finally {
            config.setResolveMissingDependenciesFromClassPath(resolve);
        }
    }

    @Test
    void theImportSeesTheModules() {
        // a guard: an empty import would make every rule below pass
        for (String pkg : new String[] {"dev.nest.cluster", "dev.nest.sidecar", "dev.nest.spi", "dev.nest.fn",
                "dev.nest.host", "dev.nest.driver.process", "dev.nest.driver.docker", "dev.nest.driver.containerd", "dev.nest.function", "dev.nest.scaler"}) {
            if (!nest.containPackage(pkg)) {
                throw new AssertionError("package " + pkg + " was not imported");
            }
        }
        if (nest.stream().anyMatch(c -> c.getSimpleName().endsWith("Test"))) {
            throw new AssertionError("test classes were imported");
        }
    }

    @Test
    void onlyTheTracingModuleUsesOpenTelemetry() {
        ArchRule rule = noClasses().that().resideOutsideOfPackage("dev.nest.tracing..")
                .should().dependOnClassesThat().resideInAnyPackage("io.opentelemetry..")
                .because("span export is one optional module; the gateway hands it plain InvocationSpan values");
        rule.check(nest);
    }

    @Test
    void onlyTheClusterModuleUsesCuratorAndZooKeeper() {
        ArchRule rule = noClasses().that().resideOutsideOfPackage("dev.nest.cluster..")
                .should().dependOnClassesThat().resideInAnyPackage("org.apache.curator..", "org.apache.zookeeper..")
                .because("only the cluster module talks to ZooKeeper (CONVENTIONS.md, habit 3)");
        rule.check(nest);
    }

    @Test
    void onlyTheDockerDriverUsesDockerJava() {
        ArchRule rule = noClasses().that().resideOutsideOfPackage("dev.nest.driver.docker..")
                .should().dependOnClassesThat().resideInAnyPackage("com.github.dockerjava..")
                .because("only a driver imports its engine's client (CONVENTIONS.md, habit 3)");
        rule.check(nest);
    }

    @Test
    void onlyTheContainerdDriverUsesGrpcAndContainerdsApi() {
        ArchRule rule = noClasses().that().resideOutsideOfPackage("dev.nest.driver.containerd..")
                .should().dependOnClassesThat().resideInAnyPackage("io.grpc..", "containerd..", "com.google.protobuf..")
                .because("only a driver imports its engine's client (CONVENTIONS.md, habit 3)");
        rule.check(nest);
    }

    @Test
    void onlyTheContainerdDriverAndTheGatewayUseNetty() {
        ArchRule rule = noClasses().that().resideOutsideOfPackages("dev.nest.driver.containerd..", "dev.nest.gateway..")
                .should().dependOnClassesThat().resideInAnyPackage("io.netty..")
                .because("Netty is the containerd client's transport and the public port's HTTP stack (ADR 0014)");
        rule.check(nest);
    }

    /**
     * The function API and the Java runtime host run inside pods with nothing but a JDK on the class path.
     * {@code com.sun.net.httpserver} is allowed: it is the JDK's own exported HTTP server (module jdk.httpserver).
     * {@code com.sun.management} too: the JDK's exported per-thread counters (module jdk.management), which the
     * merged host reads for each function's CPU and allocation.
     */
    @Test
    void theFunctionApiAndJavaHostDependOnlyOnTheJdk() {
        ArchRule rule = classes().that().resideInAnyPackage("dev.nest.fn..", "dev.nest.host..")
                .should().onlyDependOnClassesThat()
                .resideInAnyPackage("java..", "com.sun.net.httpserver..", "com.sun.management..", "dev.nest.fn..",
                        "dev.nest.host..")
                .because("they run inside pods, where only the JDK and the function's code are on the class path");
        rule.check(nest);
    }

    @Test
    void theFunctionApiDoesNotDependOnTheHost() {
        ArchRule rule = noClasses().that().resideInAPackage("dev.nest.fn..")
                .should().dependOnClassesThat().resideInAPackage("dev.nest.host..")
                .because("functions compile against dev.nest.fn alone");
        rule.check(nest);
    }

    @Test
    void onlyDriversImplementTheSandboxDriverSpi() {
        ArchRule rule = classes().that().implement(SandboxDriver.class)
                .should().resideInAPackage("dev.nest.driver..")
                .because("back ends are plugged in through the SPI (CONVENTIONS.md, habit 8)");
        rule.check(nest);
    }

    @Test
    void theSpiDependsOnlyOnTheJdk() {
        ArchRule rule = classes().that().resideInAPackage("dev.nest.spi..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("java..", "dev.nest.spi..")
                .because("a third-party driver implements the SPI without pulling in Nest's internals");
        rule.check(nest);
    }

    @Test
    void thePoolKnowsNoPodsDriversOrAgents() {
        ArchRule rule = classes().that().resideInAPackage("dev.nest.pool..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("java..", "dev.nest.pool..")
                .because("the pool's decisions are pure bookkeeping; the node agent starts and stops its pods");
        rule.check(nest);
    }

    /**
     * The gateway reaches the node agent only through the leasing interface and the types a lease hands out, so
     * it can be tested against a fake and the agent's internals can change without it.
     */
    @Test
    void theGatewaySeesTheNodeAgentOnlyThroughLeases() {
        java.util.Set<String> allowed = java.util.Set.of("InstanceLeases", "Pending", "Lease", "Lease$Lessor",
                "InvokeException", "Instance", "HostClient", "HostClient$Head", "HostSocket");
        ArchRule rule = noClasses().that().resideInAPackage("dev.nest.gateway..")
                .should().dependOnClassesThat(com.tngtech.archunit.base.DescribedPredicate.describe(
                        "sidecar internals (anything but " + allowed + ")",
                        (JavaClass c) -> c.getPackageName().startsWith("dev.nest.sidecar")
                                && !allowed.contains(c.getName().substring(c.getPackageName().length() + 1))))
                .because("the gateway needs acquire, release and record, not the agent (ADR 0009)");
        rule.check(nest);
    }

    @Test
    void theClusterModuleDoesNotKnowTheApi() {
        ArchRule rule = noClasses().that().resideInAPackage("dev.nest.cluster..")
                .should().dependOnClassesThat().resideInAPackage("dev.nest.api..")
                .because("cluster returns records; the api renders them (ADR 0008)");
        rule.check(nest);
    }

    /** A module's {@code internal} packages are used by that module alone. */
    @Test
    void noModuleReachesIntoAnotherModulesInternals() {
        java.util.List<String> violations = new java.util.ArrayList<>();
        for (JavaClass origin : nest) {
            for (var d : origin.getDirectDependenciesFromSelf()) {
                String target = d.getTargetClass().getPackageName();
                if (target.contains(".internal") && !module(target).equals(module(origin.getPackageName()))) {
                    violations.add(d.getDescription());
                }
            }
        }
        if (!violations.isEmpty()) {
            throw new AssertionError("a module's API is its package root (CONVENTIONS.md, habit 1): " + violations);
        }
    }

    /** {@code dev.nest.gateway} for {@code dev.nest.gateway.internal.x}. */
    private static String module(String pkg) {
        String[] parts = pkg.split("\\.");
        return parts.length < 3 ? pkg : parts[0] + "." + parts[1] + "." + parts[2];
    }

    @Test
    void topLevelModulesAreFreeOfCycles() {
        slices().matching("dev.nest.(*)..").should().beFreeOfCycles().check(nest);
    }
}
