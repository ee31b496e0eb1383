package dev.nest.driver.containerd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What a pod needs from an image's config blob (OCI image config, or Docker's, which has the same fields):
 * the process defaults and the layers' uncompressed digests, from which {@link #chainId()} names the committed
 * snapshot that the unpacked image ends in.
 *
 * @param env        {@code config.Env} ({@code KEY=value})
 * @param entrypoint {@code config.Entrypoint}
 * @param cmd        {@code config.Cmd}
 * @param workingDir {@code config.WorkingDir}, {@code /} when empty
 * @param diffIds    {@code rootfs.diff_ids}, base layer first
 */
record ImageConfig(List<String> env, List<String> entrypoint, List<String> cmd, String workingDir, List<String> diffIds) {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");

    ImageConfig {
        env = List.copyOf(env);
        entrypoint = List.copyOf(entrypoint);
        cmd = List.copyOf(cmd);
        diffIds = List.copyOf(diffIds);
    }

    /** The process argv: entrypoint followed by cmd. */
    List<String> args() {
        List<String> args = new ArrayList<>(entrypoint);
        args.addAll(cmd);
        return args;
    }

    /**
     * The image's chain id: the first diff id, then {@code sha256(parent + " " + diffId)} for each further
     * layer, the name containerd's unpacker commits the top snapshot under.
     */
    String chainId() {
        String chain = diffIds.getFirst();
        for (String diff : diffIds.subList(1, diffIds.size())) {
            chain = "sha256:" + sha256Hex(chain + " " + diff);
        }
        return chain;
    }

    /**
     * Parses a config blob; {@code what} names it in errors ("image X config sha256:..").
     *
     * @throws IllegalArgumentException the blob is not an image config a pod can be made of
     */
    static ImageConfig parse(byte[] json, String what) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException(what + " is not JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(what + " is not a JSON object");
        }
        JsonNode config = root.path("config");
        List<String> diffIds = strings(root.path("rootfs").path("diff_ids"), what + " rootfs.diff_ids");
        if (diffIds.isEmpty()) {
            throw new IllegalArgumentException(what + " has no layers (rootfs.diff_ids is empty)");
        }
        for (String d : diffIds) {
            if (!DIGEST.matcher(d).matches()) {
                throw new IllegalArgumentException(what + " has a layer digest that is not sha256:<64 hex>: " + d);
            }
        }
        List<String> entrypoint = strings(config.path("Entrypoint"), what + " config.Entrypoint");
        List<String> cmd = strings(config.path("Cmd"), what + " config.Cmd");
        if (entrypoint.isEmpty() && cmd.isEmpty()) {
            throw new IllegalArgumentException(what + " names no command (config.Entrypoint and config.Cmd are empty)");
        }
        String wd = config.path("WorkingDir").asText("");
        return new ImageConfig(strings(config.path("Env"), what + " config.Env"), entrypoint, cmd,
                wd.isBlank() ? "/" : wd, diffIds);
    }

    private static List<String> strings(JsonNode n, String what) {
        List<String> out = new ArrayList<>();
        if (n.isMissingNode() || n.isNull()) {
            return out;
        }
        if (!n.isArray()) {
            throw new IllegalArgumentException(what + " is not a list of strings");
        }
        for (JsonNode e : n) {
            if (!e.isTextual()) {
                throw new IllegalArgumentException(what + " is not a list of strings");
            }
            out.add(e.asText());
        }
        return out;
    }

    static String sha256Hex(String s) {
        try {
            return java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA-256 in this JDK", e);
        }
    }
}
