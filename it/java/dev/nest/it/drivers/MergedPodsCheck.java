package dev.nest.it.drivers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.it.Fixtures;
import dev.nest.it.Http;
import dev.nest.it.Poll;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Merged pods on a container driver (ADR 0025, issue 17 item 6), shared by {@link MergedDockerPodsIT} and
 * {@link MergedContainerdPodsIT}: functions with {@code deploy: merged} of one runtime and namespace share one
 * container, every one answers from it, and the container's {@code /nest/code} holds the code of the functions it
 * hosts and no other's (each function reports its own listing of {@code /nest/code}).
 */
final class MergedPodsCheck {
    private MergedPodsCheck() {
    }

    /** Writes {@code count} merged Java functions {@code <prefix>NN} in namespace {@code namespace}. */
    static void javaFunctions(Path functions, String prefix, String namespace, int count) {
        openForPods(functions);
        for (int k = 0; k < count; k++) {
            String name = prefix + k;
            // each its own class body, so that each has its own package and code directory
            Fixtures.write(functions, name + "/Handler.java", """
                    import dev.nest.fn.Context;
                    import java.nio.file.Files;
                    import java.nio.file.Path;
                    import java.util.List;
                    import java.util.Map;
                    
                    public class Handler {
                        static final String ME = "%s";

                        public Object handle(Map<String, Object> event, Context context) throws Exception {
                            List<String> code;
                            try (var s = Files.list(Path.of("/nest/code"))) {
                                code = s.map(p -> p.getFileName().toString()).sorted().toList();
                            }
                            return Map.of("name", context.functionName(), "me", ME, "code", code,
                                    "pod", String.valueOf(System.getenv("NEST_POD_ID")), "lang", "java");
                        }
                    }
                    """.formatted(name));
            Fixtures.write(functions, name + ".yaml", "name: " + name + "\nnamespace: " + namespace
                    + "\nruntime: java\ncode: " + name + "\nhandler: Handler\nmemory: 128\ntimeout: 20s\ndeploy: merged\n");
        }
    }

    /** Writes {@code count} merged Node.js functions {@code <prefix>NN} in namespace {@code namespace}. */
    static void nodeFunctions(Path functions, String prefix, String namespace, int count) {
        openForPods(functions);
        for (int k = 0; k < count; k++) {
            String name = prefix + k;
            Fixtures.write(functions, name + "/index.js", """
                    const fs = require('fs');
                    exports.handler = async (event, context) => ({
                      name: context.functionName, me: '%s', code: fs.readdirSync('/nest/code').sort(),
                      pod: process.env.NEST_POD_ID, lang: 'node',
                    });
                    """.formatted(name));
            Fixtures.write(functions, name + ".yaml", "name: " + name + "\nnamespace: " + namespace
                    + "\nruntime: nodejs\ncode: " + name + "\nhandler: index.handler\nmemory: 64\ntimeout: 20s\ndeploy: merged\n");
        }
    }

    /** Pods run as nobody: the node's folders above the code must be readable by others. */
    private static void openForPods(Path functions) {
        try {
            for (Path p : List.of(functions.getParent(), functions)) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Calls every function {@code <prefix>0..count-1} of {@code namespace} and checks they were served by one merged
     * pod whose code folder holds exactly their {@code count} code versions.
     *
     * @return the merged pod's id
     */
    static String everyFunctionAnswersFromOneMergedPod(Http http, String prefix, String namespace, int count) {
        String last = prefix + (count - 1);
        Poll.until(last + " deployed", Duration.ofMinutes(3),
                () -> http.get("/api/v1/functions/" + last + "?namespace=" + namespace).status(), s -> s == 200);
        Set<String> pods = new HashSet<>();
        for (int k = 0; k < count; k++) {
            String fn = prefix + k;
            Http.Response r = http.get("/ns/" + namespace + "/fn/" + fn);
            assertEquals(200, r.status(), () -> fn + ": " + r);
            JsonNode body = r.json();
            assertEquals(namespace + "/" + fn, body.path("name").asText(), r::toString);
            assertEquals(fn, body.path("me").asText(), "its own code answers: " + r);
            pods.add(body.path("pod").asText());
        }
        assertEquals(1, pods.size(), count + " merged functions of one namespace share one pod: " + pods);
        // a version's code appears in the pod when it is loaded there: once all are, each sees all of them
        for (int k = 0; k < count; k++) {
            Http.Response r = http.get("/ns/" + namespace + "/fn/" + prefix + k);
            assertEquals(200, r.status(), r::toString);
            assertEquals(count, r.json().path("code").size(),
                    "the merged container mounts the code of its " + count + " functions and no other's: " + r);
        }
        String pod = pods.iterator().next();
        for (int k = 0; k < count; k++) {
            String fn = prefix + k;
            JsonNode list = http.get("/api/v1/functions/" + fn + "/instances?namespace=" + namespace).json();
            assertEquals(1, list.size(), () -> fn + ": one instance: " + list);
            assertTrue(list.get(0).path("merged").asBoolean(), list::toString);
            assertEquals(pod, list.get(0).path("hostPod").asText(), list::toString);
        }
        return pod;
    }
}
