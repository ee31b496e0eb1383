package dev.nest.driver.containerd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nest.spi.PodSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class OciSpecTest {
    static final ImageConfig IMAGE = new ImageConfig(List.of("PATH=/usr/bin:/bin", "NODE_ENV=production", "MODE=image"),
            List.of("/usr/bin/node"), List.of("/nest/runtime/host.js"), "/nest/runtime", List.of("sha256:" + "1".repeat(64)));

    static PodSpec pod(double cpus, int pids) {
        return new PodSpec("p1", "nodejs", "nest/runtime-nodejs:latest", List.of(), Map.of("NEST_HOST_PORT", "20001", "MODE", "pod"),
                Path.of("/opt/nest/runtimes/nodejs"), Path.of("/var/lib/nest/code"), "127.0.0.1", 20001, 128L << 20, cpus, pids,
                Map.of("dev.nest.function", "a/b"), Path.of("/tmp/w"));
    }

    static JsonNode build(PodSpec spec, Optional<Path> init, Optional<String> group) throws Exception {
        // through bytes: what containerd receives
        return new ObjectMapper().readTree(OciSpec.bytes(OciSpec.build("nest-p1", spec, Path.of("/var/lib/nest/containerd/pods/nest-p1/code"), IMAGE, 32L << 20, init, group)));
    }

    @Test
    void theProcessIsHardened() throws Exception {
        JsonNode p = build(pod(1.5, 256), Optional.empty(), Optional.empty()).path("process");
        assertEquals(65534, p.path("user").path("uid").asInt());
        assertEquals(65534, p.path("user").path("gid").asInt());
        assertTrue(p.path("noNewPrivileges").asBoolean());
        for (String set : List.of("bounding", "effective", "inheritable", "permitted", "ambient")) {
            assertTrue(p.path("capabilities").path(set).isArray(), set);
            assertEquals(0, p.path("capabilities").path(set).size(), set + " is empty");
        }
        assertEquals(List.of("/usr/bin/node", "/nest/runtime/host.js"), strings(p.path("args")));
        assertEquals("/nest/runtime", p.path("cwd").asText());
        assertFalse(p.path("terminal").asBoolean());
    }

    @Test
    void aSeccompFilterTakesAwayWhatAFunctionNeverNeeds() throws Exception {
        JsonNode sc = build(pod(1, 1), Optional.empty(), Optional.empty()).path("linux").path("seccomp");
        assertEquals("SCMP_ACT_ALLOW", sc.path("defaultAction").asText());
        assertEquals(SeccompProfile.architectures(System.getProperty("os.arch")), strings(sc.path("architectures")));
        JsonNode denied = sc.path("syscalls").get(0);
        assertEquals("SCMP_ACT_ERRNO", denied.path("action").asText());
        assertEquals(1, denied.path("errnoRet").asInt(), "EPERM");
        List<String> names = strings(denied.path("names"));
        for (String call : List.of("unshare", "setns", "bpf", "userfaultfd", "io_uring_setup", "ptrace", "mount", "keyctl")) {
            assertTrue(names.contains(call), call);
        }
        for (String everyday : List.of("read", "write", "openat", "clone", "execve", "mmap", "futex", "epoll_wait")) {
            assertFalse(names.contains(everyday), everyday);
        }
        JsonNode clone3 = sc.path("syscalls").get(1);
        assertEquals(List.of("clone3"), strings(clone3.path("names")));
        assertEquals(38, clone3.path("errnoRet").asInt(), "ENOSYS, so that the C library falls back to clone");
        int cloneRules = 0;
        for (JsonNode rule : sc.path("syscalls")) {
            if (strings(rule.path("names")).equals(List.of("clone"))) {
                cloneRules++;
                JsonNode arg = rule.path("args").get(0);
                assertEquals("SCMP_CMP_MASKED_EQ", arg.path("op").asText());
                assertEquals(arg.path("value").asLong(), arg.path("valueTwo").asLong(), "one namespace flag per rule");
                assertEquals(1, Long.bitCount(arg.path("value").asLong()));
            }
        }
        assertEquals(7, cloneRules, "clone with any namespace flag fails");
        assertEquals(List.of("SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"), SeccompProfile.architectures("aarch64"));
    }

    @Test
    void thePodsEnvironmentGoesOverTheImages() throws Exception {
        List<String> env = strings(build(pod(1, 1), Optional.empty(), Optional.empty()).path("process").path("env"));
        assertTrue(env.contains("PATH=/usr/bin:/bin"));
        assertTrue(env.contains("NODE_ENV=production"));
        assertTrue(env.contains("NEST_HOST_PORT=20001"));
        assertTrue(env.contains("MODE=pod"));
        assertFalse(env.contains("MODE=image"));
        assertEquals(List.of("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "A=1"),
                OciSpec.env(List.of(), Map.of("A", "1")), "a PATH when neither has one");
    }

    @Test
    void theHostSocketDirectoryIsMountedWritableWithoutExecOrDevices() throws Exception {
        com.fasterxml.jackson.databind.node.ObjectNode spec = OciSpec.build("nest-p1",
                dev.nest.spi.PodHostSockets.withSocket(pod(1, 1), Optional.of(Path.of("/var/lib/nest/containerd/pods/nest-p1/host/nest-host.sock"))),
                Path.of("/var/lib/nest/containerd/pods/nest-p1/code"), IMAGE, 32L << 20, Optional.empty(), Optional.empty());
        OciSpec.hostSocket(spec, Path.of("/var/lib/nest/containerd/pods/nest-p1/host"));
        JsonNode s = new ObjectMapper().readTree(OciSpec.bytes(spec));
        JsonNode host = mount(s, "/nest/host");
        assertEquals("bind", host.path("type").asText());
        assertEquals("/var/lib/nest/containerd/pods/nest-p1/host", host.path("source").asText());
        assertEquals(List.of("rbind", "rw", "nosuid", "nodev", "noexec"), strings(host.path("options")));
        assertTrue(strings(s.path("process").path("env")).contains("NEST_HOST_SOCKET=/nest/host/nest-host.sock"));
        assertFalse(strings(build(pod(1, 1), Optional.empty(), Optional.empty()).path("process").path("env")).stream()
                .anyMatch(e -> e.startsWith("NEST_HOST_SOCKET=")), "no socket, no variable");
    }

    @Test
    void theRootIsReadOnlyAndTheMountsAreThere() throws Exception {
        JsonNode s = build(pod(1, 1), Optional.empty(), Optional.empty());
        assertEquals("rootfs", s.path("root").path("path").asText());
        assertTrue(s.path("root").path("readonly").asBoolean());
        JsonNode code = mount(s, "/nest/code");
        assertEquals("bind", code.path("type").asText());
        assertEquals("/var/lib/nest/containerd/pods/nest-p1/code", code.path("source").asText(),
                "the pod's own code directory, not the node's whole code root");
        assertTrue(strings(code.path("options")).containsAll(List.of("rbind", "ro", "nosuid", "nodev")));
        JsonNode tmp = mount(s, "/tmp");
        assertEquals("tmpfs", tmp.path("type").asText());
        assertTrue(strings(tmp.path("options")).contains("size=" + (32L << 20)));
        assertTrue(strings(mount(s, "/sys").path("options")).contains("ro"), "the host's /sys, read-only");
        for (String d : List.of("/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue")) {
            mount(s, d);
        }
    }

    @Test
    void theLimitsAreTheSpecs() throws Exception {
        JsonNode r = build(pod(1.5, 256), Optional.empty(), Optional.empty()).path("linux").path("resources");
        assertEquals(128L << 20, r.path("memory").path("limit").asLong());
        assertEquals(128L << 20, r.path("memory").path("swap").asLong(), "no swap");
        assertEquals(150_000, r.path("cpu").path("quota").asLong());
        assertEquals(100_000, r.path("cpu").path("period").asLong());
        assertEquals(256, r.path("pids").path("limit").asInt());
        JsonNode deny = r.path("devices").get(0);
        assertFalse(deny.path("allow").asBoolean());
        assertEquals("rwm", deny.path("access").asText());

        JsonNode none = build(pod(0, 0), Optional.empty(), Optional.empty()).path("linux").path("resources");
        assertTrue(none.path("cpu").isMissingNode(), "no CPU quota when the pod asks for none");
        assertTrue(none.path("pids").isMissingNode());
    }

    @Test
    void theHostNetworkIsShared() throws Exception {
        JsonNode linux = build(pod(1, 1), Optional.empty(), Optional.empty()).path("linux");
        List<String> ns = new ArrayList<>();
        linux.path("namespaces").forEach(n -> ns.add(n.path("type").asText()));
        assertEquals(List.of("pid", "ipc", "mount"), ns);
        assertEquals("/nest/nest-p1", linux.path("cgroupsPath").asText());
        assertTrue(strings(linux.path("maskedPaths")).contains("/proc/kcore"));
        assertTrue(strings(linux.path("readonlyPaths")).contains("/proc/sys"));
    }

    @Test
    void anInitRunsFirstFromAReadOnlyBindMount() throws Exception {
        JsonNode s = build(pod(1, 1), Optional.of(Path.of("/usr/bin/docker-init")), Optional.empty());
        assertEquals(List.of("/nest/init", "--", "/usr/bin/node", "/nest/runtime/host.js"), strings(s.path("process").path("args")));
        JsonNode init = mount(s, "/nest/init");
        assertEquals("/usr/bin/docker-init", init.path("source").asText());
        assertTrue(strings(init.path("options")).contains("ro"));
    }

    @Test
    void aShimGroupIsAnAnnotation() throws Exception {
        assertEquals("nest-shim-n1", build(pod(1, 1), Optional.empty(), Optional.of("nest-shim-n1"))
                .path("annotations").path("io.containerd.runc.v2.group").asText());
        assertTrue(build(pod(1, 1), Optional.empty(), Optional.empty()).path("annotations").isMissingNode());
    }

    private static JsonNode mount(JsonNode spec, String destination) {
        for (JsonNode m : spec.path("mounts")) {
            if (m.path("destination").asText().equals(destination)) {
                return m;
            }
        }
        throw new AssertionError("no mount at " + destination + " in " + spec.path("mounts"));
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
