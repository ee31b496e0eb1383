package dev.nest.aot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The self-applied AOT cache's pure decisions: eligibility, the cache key, the command lines, the claim. */
class AotPlanTest {
    private static final Path JAR = Path.of("/opt/nest/lib/nest.jar");
    private static final List<String> CMD = List.of("java", "-Xmx512m", "-jar", "/opt/nest/lib/nest.jar", "server",
            "--port", "8080");

    private static AotPlan.Inputs inputs(int feature, String os, Map<String, String> env, Optional<String> property,
                                         boolean training, List<String> cmdline, Optional<Path> jar) {
        return new AotPlan.Inputs(feature, os, env, property, training, cmdline, jar);
    }

    @Test
    void decidesWhetherAStartMayUseTheCache() {
        record Case(String name, AotPlan.Inputs in, Class<? extends AotPlan.Decision> expected, String reasonPart) {
        }
        String marker = "/home/u/.cache/nest/server-x.aot";
        List<Case> cases = List.of(
                new Case("plain java -jar on JDK 25, Linux", inputs(25, "Linux", Map.of(), Optional.empty(), false, CMD,
                        Optional.of(JAR)), AotPlan.Decision.Eligible.class, ""),
                new Case("JDK 26", inputs(26, "Linux", Map.of(), Optional.empty(), false, CMD, Optional.of(JAR)),
                        AotPlan.Decision.Eligible.class, ""),
                new Case("JDK 21", inputs(21, "Linux", Map.of(), Optional.empty(), false, CMD, Optional.of(JAR)),
                        AotPlan.Decision.Skip.class, "JDK 25"),
                new Case("macOS", inputs(25, "Mac OS X", Map.of(), Optional.empty(), false, CMD, Optional.of(JAR)),
                        AotPlan.Decision.Skip.class, "Linux only"),
                new Case("-Dnest.aot=off", inputs(25, "Linux", Map.of(), Optional.of("off"), false, CMD, Optional.of(JAR)),
                        AotPlan.Decision.Skip.class, "-Dnest.aot"),
                new Case("NEST_AOT=0", inputs(25, "Linux", Map.of("NEST_AOT", "0"), Optional.empty(), false, CMD,
                        Optional.of(JAR)), AotPlan.Decision.Skip.class, "NEST_AOT"),
                new Case("NEST_AOT=1 (distribution/nest's own mode) is not an opt-out", inputs(25, "Linux",
                        Map.of("NEST_AOT", "1"), Optional.empty(), false, CMD, Optional.of(JAR)),
                        AotPlan.Decision.Eligible.class, ""),
                new Case("the property wins over the environment", inputs(25, "Linux", Map.of("NEST_AOT", "0"),
                        Optional.of("on"), false, CMD, Optional.of(JAR)), AotPlan.Decision.Eligible.class, ""),
                new Case("the training JVM", inputs(25, "Linux", Map.of(), Optional.empty(), true, CMD, Optional.of(JAR)),
                        AotPlan.Decision.Skip.class, "trains"),
                new Case("re-executed with the cache", inputs(25, "Linux", Map.of(AotPlan.EXEC_MARKER, marker),
                        Optional.empty(), false, AotPlan.withCache(CMD, Path.of(marker)), Optional.of(JAR)),
                        AotPlan.Decision.Applied.class, ""),
                new Case("marker without the option: no second exec", inputs(25, "Linux", Map.of(AotPlan.EXEC_MARKER,
                        marker), Optional.empty(), false, CMD, Optional.of(JAR)), AotPlan.Decision.Skip.class, "is set"),
                new Case("class path, not a jar", inputs(25, "Linux", Map.of(), Optional.empty(), false,
                        List.of("java", "-cp", "classes", "dev.nest.Main"), Optional.empty()), AotPlan.Decision.Skip.class,
                        "not running from a jar"),
                new Case("another jar on the command line", inputs(25, "Linux", Map.of(), Optional.empty(), false,
                        List.of("java", "-jar", "/tmp/other.jar"), Optional.of(JAR)), AotPlan.Decision.Skip.class,
                        "not started as java -jar"),
                new Case("-jar without a path", inputs(25, "Linux", Map.of(), Optional.empty(), false,
                        List.of("java", "-jar"), Optional.of(JAR)), AotPlan.Decision.Skip.class, "not started"),
                new Case("the jar's own class path launch", inputs(25, "Linux", Map.of(), Optional.empty(), false,
                        List.of("java", "-cp", "/opt/nest/lib/nest.jar", "dev.nest.Main"), Optional.of(JAR)),
                        AotPlan.Decision.Skip.class, "not started"),
                new Case("an AOT cache given by hand", inputs(25, "Linux", Map.of(), Optional.empty(), false,
                        List.of("java", "-XX:AOTCache=x.aot", "-jar", JAR.toString()), Optional.of(JAR)),
                        AotPlan.Decision.Skip.class, "-XX:AOTCache=x.aot"),
                new Case("distribution/nest's class-data archive", inputs(25, "Linux", Map.of(), Optional.empty(), false,
                        List.of("java", "-XX:SharedArchiveFile=n.jsa", "-XX:+AutoCreateSharedArchive", "-jar",
                                JAR.toString()), Optional.of(JAR)), AotPlan.Decision.Skip.class, "SharedArchiveFile"),
                new Case("-Xshare:off", inputs(25, "Linux", Map.of(), Optional.empty(), false,
                        List.of("java", "-Xshare:off", "-jar", JAR.toString()), Optional.of(JAR)),
                        AotPlan.Decision.Skip.class, "-Xshare"),
                new Case("an archive option in JDK_JAVA_OPTIONS", inputs(25, "Linux",
                        Map.of("JDK_JAVA_OPTIONS", "-Xmx1g -XX:AOTCacheOutput=t.aot"), Optional.empty(), false, CMD,
                        Optional.of(JAR)), AotPlan.Decision.Skip.class, "JDK_JAVA_OPTIONS"),
                new Case("other options in JAVA_TOOL_OPTIONS", inputs(25, "Linux", Map.of("JAVA_TOOL_OPTIONS", "-Xmx1g"),
                        Optional.empty(), false, CMD, Optional.of(JAR)), AotPlan.Decision.Eligible.class, ""),
                new Case("an archive option after the jar is the program's", inputs(25, "Linux", Map.of(),
                        Optional.empty(), false, List.of("java", "-jar", JAR.toString(), "--data", "-Xshare:off"),
                        Optional.of(JAR)), AotPlan.Decision.Eligible.class, ""));
        for (Case c : cases) {
            AotPlan.Decision d = AotPlan.decide(c.in());
            assertInstanceOf(c.expected(), d, c.name() + ": " + d);
            if (d instanceof AotPlan.Decision.Skip s) {
                assertTrue(s.reason().contains(c.reasonPart()), c.name() + ": " + s.reason());
            }
        }
    }

    @Test
    void aRelativeJarOnTheCommandLineIsTheRunningJar() {
        Path here = Path.of("build/nest.jar").toAbsolutePath().normalize();
        assertInstanceOf(AotPlan.Decision.Eligible.class, AotPlan.decide(inputs(25, "Linux", Map.of(), Optional.empty(),
                false, List.of("java", "-jar", "./build/../build/nest.jar"), Optional.of(here))));
    }

    @Test
    void theKeyNamesJarPathSizeTimeAndJvm() {
        AotPlan.Key k = new AotPlan.Key("/opt/nest/lib/nest.jar", 140656137, 1796639214, "25.0.3+9-LTS");
        assertTrue(k.fileName().matches("server-[0-9a-f]{8}-25\\.0\\.3\\+9-LTS-140656137-1796639214\\.aot"), k.fileName());
        assertTrue(k.fileName().startsWith(k.prefix()));
        for (AotPlan.Key other : List.of(new AotPlan.Key("/opt/nest/lib/nest.jar", 140656138, 1796639214, "25.0.3+9-LTS"),
                new AotPlan.Key("/opt/nest/lib/nest.jar", 140656137, 1796639215, "25.0.3+9-LTS"),
                new AotPlan.Key("/opt/nest/lib/nest.jar", 140656137, 1796639214, "25.0.4+7-LTS"))) {
            assertNotEquals(k.fileName(), other.fileName());
            assertEquals(k.prefix(), other.prefix(), "same jar path");
            assertTrue(k.isStale(other.fileName()), "another build or JVM of this jar path is stale");
            assertTrue(k.isStale(other.fileName() + ".failed"));
        }
        AotPlan.Key elsewhere = new AotPlan.Key("/work/target/nest.jar", 140656137, 1796639214, "25.0.3+9-LTS");
        assertNotEquals(k.prefix(), elsewhere.prefix());
        assertFalse(k.isStale(elsewhere.fileName()), "another jar path's cache is not this one's to remove");
        assertFalse(k.isStale(k.fileName()));
        assertFalse(k.isStale(k.fileName() + ".failed"), "the failure record stays until the jar changes");
        assertTrue(k.isStale(k.fileName() + ".123.tmp"), "a leftover of a killed training");
        assertFalse(k.isStale("cli-1234-25.0.3+9-LTS-1-2.aot"), "distribution/nest's CLI cache");
        assertEquals("server-" + k.prefix().substring(7, 15) + "-25_weird_-1-2.aot",
                new AotPlan.Key(k.jarPath(), 1, 2, "25 weird/").fileName(), "no path separator from the JVM's version");
    }

    @Test
    void theKeysFileNameIsTheSameWhateverThePathsHash() {
        // the names caches already have on disk: eight hex digits of the path's hash, as %08x wrote them
        for (String path : List.of("", "a", "/opt/nest/lib/nest.jar", "/work/target/nest.jar", "\u00e9/nest.jar")) {
            assertEquals("server-" + String.format(java.util.Locale.ROOT, "%08x", path.hashCode()) + "-",
                    new AotPlan.Key(path, 1, 2, "25").prefix(), path);
        }
        assertEquals("server-00000000-25_-1-2.aot", new AotPlan.Key("", 1, 2, "25\u00e9").fileName(),
                "a character outside ASCII in the JVM's version is replaced too");
    }

    @Test
    void anExplicitTrainingKeepsACacheThatExistsAndDoesNotRunBesideAnother(@TempDir Path dir) throws Exception {
        AotPlan.Key key = new AotPlan.Key("/opt/nest/lib/nest.jar", 1, 2, "25");
        Path jar = dir.resolve("nest.jar");
        List<String> cmdline = List.of("java", "-jar", jar.toString(), "aot-cache");
        Files.writeString(dir.resolve(key.fileName()), "cache");
        assertEquals(dir.resolve(key.fileName()), AotTrainer.trainNow(dir, key, cmdline, jar, Optional.empty()));

        Files.delete(dir.resolve(key.fileName()));
        Files.createFile(dir.resolve(key.fileName() + ".training")); // another process trains it now
        java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                () -> AotTrainer.trainNow(dir, key, cmdline, jar, Optional.empty()));
        assertTrue(e.getMessage().contains(key.fileName() + ".training"), e.getMessage());
        assertFalse(Files.exists(dir.resolve(key.fileName())));
    }

    @Test
    void theCommandLineWithTheCacheKeepsTheOriginalAfterTheCacheOptions() {
        assertEquals(List.of("java", "-XX:AOTCache=/c/s.aot", "-Xlog:aot=off", "-Xlog:cds=off", "-Xmx512m", "-jar",
                "/opt/nest/lib/nest.jar", "server", "--port", "8080"), AotPlan.withCache(CMD, Path.of("/c/s.aot")));
        assertEquals(List.of("/usr/bin/java", "-XX:AOTCache=/c/s.aot", "-Xlog:aot=off", "-Xlog:cds=off", "-jar", "n.jar"),
                AotPlan.withCache(List.of("/usr/bin/java", "-jar", "n.jar"), Path.of("/c/s.aot")));
    }

    @Test
    void theReexecutedEnvironmentIsThisOnePlusTheMarker() {
        List<String> env = AotPlan.environment(new java.util.TreeMap<>(Map.of("HOME", "/h", "A", "x=y",
                AotPlan.EXEC_MARKER, "/old.aot")), Path.of("/c/s.aot"));
        assertEquals(List.of("A=x=y", "HOME=/h", AotPlan.EXEC_MARKER + "=/c/s.aot"), env);
    }

    @Test
    void aRejectedCacheShowsInTheVmInfo() {
        assertTrue(AotPlan.mapped("mixed mode, sharing"));
        assertTrue(AotPlan.mapped("interpreted mode, sharing"));
        assertFalse(AotPlan.mapped("mixed mode"), "the JVM rejected the cache and runs without any archive");
        assertFalse(AotPlan.mapped(""));
        assertFalse(AotPlan.mapped("mixed mode, nosharing"));
    }

    @Test
    void theTrainingCommandLineKeepsTheJvmOptionsAndUsesAScratchNode() {
        assertEquals(List.of("/usr/lib/jvm/bin/java", "-Xmx512m", "-XX:AOTCacheOutput=/c/s.aot.7.tmp",
                        "-Dnest.aot.training=true", "-jar", "/opt/nest/lib/nest.jar", "server", "--port", "4711", "--data",
                        "/tmp/t/data", "--functions", "/tmp/t/functions", "--runtimes", "/opt/nest/runtimes"),
                AotPlan.training(CMD, "/usr/lib/jvm/bin/java", JAR, Path.of("/c/s.aot.7.tmp"), Path.of("/tmp/t"),
                        Optional.of(Path.of("/opt/nest/runtimes")), 4711));
        assertEquals(List.of("j", "-XX:AOTCacheOutput=o", "-Dnest.aot.training=true", "-jar", "/opt/nest/lib/nest.jar",
                        "server", "--port", "1", "--data", "s/data", "--functions", "s/functions"),
                AotPlan.training(List.of("java", "-jar", "n.jar", "--port", "9"), "j", JAR, Path.of("o"), Path.of("s"),
                        Optional.empty(), 1), "the node's own options are not the training's");
    }

    @Test
    void theCacheDirectoryRule() {
        assertEquals(Path.of("/p"), SelfAotCache.cacheDir(Optional.of("/p"), Map.of("NEST_AOT_DIR", "/e"), "/h"));
        assertEquals(Path.of("/e"), SelfAotCache.cacheDir(Optional.empty(), Map.of("NEST_AOT_DIR", "/e",
                "XDG_CACHE_HOME", "/x"), "/h"));
        assertEquals(Path.of("/x/nest"), SelfAotCache.cacheDir(Optional.of(" "), Map.of("XDG_CACHE_HOME", "/x"), "/h"));
        assertEquals(Path.of("/h/.cache/nest"), SelfAotCache.cacheDir(Optional.empty(), Map.of("XDG_CACHE_HOME", ""), "/h"));
    }

    @Test
    void oneStartClaimsTheTrainingAndAnAbandonedClaimIsTakenOver(@TempDir Path dir) throws Exception {
        Path claim = dir.resolve("server-x.aot.training");
        Instant now = Instant.parse("2026-12-07T10:00:00Z");
        assertTrue(AotTrainer.claim(claim, now));
        Files.setLastModifiedTime(claim, FileTime.from(now));
        assertFalse(AotTrainer.claim(claim, now.plusSeconds(1)), "a second start trains nothing");
        assertFalse(AotTrainer.claim(claim, now.plus(AotTrainer.CLAIM_EXPIRY).minusSeconds(1)));
        assertTrue(AotTrainer.claim(claim, now.plus(AotTrainer.CLAIM_EXPIRY).plus(Duration.ofSeconds(1))),
                "the trainer was killed: taken over");
        assertTrue(Files.exists(claim));
    }
}
