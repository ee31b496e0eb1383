package dev.nest.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import com.fasterxml.jackson.databind.JsonNode;
import dev.nest.deploy.FileProblem;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionVersion;
import dev.nest.function.SpecParser;
import dev.nest.release.Aliases;
import dev.nest.release.Releases;
import dev.nest.sidecar.InstanceInfo;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The JSON bodies that describe functions ({@code GET /functions}, one function, a deploy's or a rollback's
 * answer), and the summary they share: its status is {@code no code}, {@code ready}, {@code failing} (the last
 * start failed) or {@code error} (a function file is broken). In these records a null field is one the JSON
 * leaves out (an {@code error} only while there is one, a {@code spec} only with a live version).
 */
record FunctionViews(String publicUrl, LocalNode node, FileProblems files) {
    /** The summary of {@code r} as this node sees it. */
    Summary summary(FunctionRecord r) {
        return Summary.of(r, publicUrl + invokePath(r.id()), node.lastStartError(r.id()), files.problem(r.id()));
    }

    /** Where the gateway serves {@code id}. */
    static String invokePath(FunctionId id) {
        return id.namespace().equals(FunctionId.DEFAULT_NAMESPACE) ? "/fn/" + id.name()
                : "/ns/" + id.namespace() + "/fn/" + id.name();
    }

    /** One function in {@code GET /functions} and the head of every other function body. */
    record Summary(String name, String namespace, String runtime, int live, int latest, int versions, String origin,
                   Instant updatedAt, String url, @JsonInclude(JsonInclude.Include.NON_NULL) String error,
                   @JsonInclude(JsonInclude.Include.NON_NULL) String file, String status) {
        static Summary of(FunctionRecord r, String url, Optional<String> startError, Optional<FileProblem> problem) {
            Optional<FunctionVersion> live = r.liveVersion();
            String status = live.isEmpty() ? "no code" : "ready";
            String error = null;
            String file = null;
            if (startError.isPresent()) {
                status = "failing";
                error = startError.get();
            }
            if (problem.isPresent()) {
                status = "error";
                error = problem.get().error();
                file = problem.get().file();
            }
            return new Summary(r.id().name(), r.id().namespace(), live.map(v -> v.spec().runtime()).orElse(""),
                    r.live(), r.latest(), r.versions().size(), r.origin(), r.updatedAt(), url, error, file, status);
        }

        /** The same function with a broken file's error. */
        Summary withProblem(FileProblem p) {
            return new Summary(name, namespace, runtime, live, latest, versions, origin, updatedAt, url, p.error(),
                    p.file(), status.equals("ready") ? "error" : status);
        }
    }

    /** A function that exists only as a broken file. */
    record Broken(String name, String namespace, String status, String error, String file) {
        static Broken of(FileProblem p) {
            return new Broken(p.name(), p.namespace(), "error", p.error(), p.file());
        }

        Broken withProblem(FileProblem p) {
            return new Broken(name, namespace, status, p.error(), p.file());
        }
    }

    /** {@code GET /functions}: summaries and broken files, by namespace and name. */
    record Listing(List<Object> functions) {
    }

    /** {@code GET /functions/{name}}: the summary, the live spec, the rollback history and this node's instances. */
    /**
     * {@code GET /functions/{name}}: the summary, the live spec, the live history, the aliases (each as
     * {@code GET .../aliases/{alias}} shows it), the current or last release in short (absent when there was none) and
     * this node's instances.
     */
    record Detail(@JsonUnwrapped Summary summary, @JsonInclude(JsonInclude.Include.NON_NULL) JsonNode spec,
                  List<Integer> liveHistory, List<Map<String, Object>> aliases,
                  @JsonInclude(JsonInclude.Include.NON_NULL) Map<String, Object> release, List<InstanceInfo> instances) {
        static Detail of(Summary summary, FunctionRecord r, List<InstanceInfo> instances) {
            List<Map<String, Object>> aliases = r.aliases().entrySet().stream()
                    .map(e -> Aliases.view(e.getKey(), e.getValue())).toList();
            return new Detail(summary, r.liveVersion().map(v -> (JsonNode) SpecParser.write(v.spec())).orElse(null),
                    r.liveHistory(), aliases, Releases.summary(r).orElse(null), instances);
        }
    }

    /** The answer to a deploy or a spec update. */
    record Deployed(@JsonUnwrapped Summary summary, int version, boolean changed, String digest) {
    }

    /** The answer to a rollback: the now live version. */
    record RolledBack(@JsonUnwrapped Summary summary, int version) {
    }

    /** The answer to a delete. */
    record Deleted(String deleted) {
    }

    /** {@code GET /functions/{name}/versions}. */
    record Versions(String function, int live, List<Version> versions) {
    }

    /** One stored version, as the function codec writes it, plus whether it is live. */
    record Version(int version, String digest, Instant createdAt, String source, JsonNode spec, boolean live) {
        static Version of(FunctionVersion v, int live) {
            return new Version(v.version(), v.digest(), v.createdAt(), v.source(), SpecParser.write(v.spec()),
                    v.version() == live);
        }
    }
}
