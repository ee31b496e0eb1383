package dev.nest.driver.containerd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import containerd.services.content.v1.ReadContentRequest;
import containerd.services.content.v1.ReadContentResponse;
import containerd.services.images.v1.GetImageRequest;
import containerd.services.images.v1.Image;
import containerd.services.snapshots.v1.StatSnapshotRequest;
import containerd.types.Descriptor;
import dev.nest.spi.SandboxException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Resolves an image name in containerd's image store to what a pod is made of: the image config (process
 * defaults) and the chain id of its unpacked top snapshot.
 *
 * <p>Reads the image record (images service), its index or manifest and its config (content service), and
 * checks that the snapshot exists for the configured snapshotter. The result is kept per image name and
 * reused as long as the image record still points at the same target digest, so a start costs one images
 * call once the image was seen (a re-tagged image is resolved again).
 */
final class ImageStore {
    static final Set<String> INDEX_TYPES = Set.of("application/vnd.oci.image.index.v1+json",
            "application/vnd.docker.distribution.manifest.list.v2+json");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** An image ready for pods: its target digest (the cache key), config, and top snapshot. */
    record Resolved(String name, String target, ImageConfig config, String chainId) {
    }

    private final ContainerdEngine engine;
    private final Map<String, Resolved> cache = new ConcurrentHashMap<>();

    ImageStore(ContainerdEngine engine) {
        this.engine = engine;
    }

    /**
     * The image {@code name} (normalised), for a pod of {@code runtime}.
     *
     * @throws SandboxException the image is missing, not unpacked, or not usable; the message says what to do
     */
    Resolved resolve(String name, String runtime) {
        ContainerdSettings s = engine.settings();
        Image image;
        try {
            image = engine.call("get image " + name, () -> engine.images().get(GetImageRequest.newBuilder().setName(name).build()))
                    .getImage();
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                throw new SandboxException(missing(name, runtime), e);
            }
            throw new SandboxException(engine.where() + " cannot look up image " + name + ": " + ContainerdEngine.reason(e), e);
        }
        String target = image.getTarget().getDigest();
        Resolved cached = cache.get(name);
        if (cached != null && cached.target().equals(target)) {
            return cached;
        }
        Descriptor manifest = image.getTarget();
        try {
            if (INDEX_TYPES.contains(manifest.getMediaType())) {
                manifest = platformManifest(name, manifest);
            }
            JsonNode m = json(read(name, manifest.getDigest()), "manifest " + manifest.getDigest() + " of image " + name);
            String configDigest = m.path("config").path("digest").asText("");
            if (configDigest.isEmpty()) {
                throw new SandboxException("image " + name + " in " + engine.where() + " has a manifest without a config; "
                        + "import it again with distribution/images/load-containerd.sh");
            }
            ImageConfig config;
            try {
                config = ImageConfig.parse(read(name, configDigest), "the config " + configDigest + " of image " + name);
            } catch (IllegalArgumentException e) {
                throw new SandboxException(e.getMessage() + "; rebuild the image (distribution/images/build.sh) and import it "
                        + "again (distribution/images/load-containerd.sh)", e);
            }
            String chainId = config.chainId();
            try {
                engine.call("stat snapshot " + chainId, () -> engine.snapshots().stat(StatSnapshotRequest.newBuilder()
                        .setSnapshotter(s.snapshotter()).setKey(chainId).build()));
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                    throw new SandboxException("image " + name + " is in " + engine.where() + " but not unpacked for the "
                            + s.snapshotter() + " snapshotter (no snapshot " + chainId + "); run "
                            + "distribution/images/load-containerd.sh --address " + s.address() + " --snapshotter "
                            + s.snapshotter() + ", or: ctr -a " + s.address() + " -n " + s.namespace() + " images unpack "
                            + "--snapshotter " + s.snapshotter() + " " + name, e);
                }
                throw e;
            }
            Resolved r = new Resolved(name, target, config, chainId);
            cache.put(name, r);
            return r;
        } catch (StatusRuntimeException e) {
            throw new SandboxException(engine.where() + " cannot read image " + name + ": " + ContainerdEngine.reason(e), e);
        }
    }

    /** The message for an image that is not in the namespace. */
    String missing(String name, String runtime) {
        ContainerdSettings s = engine.settings();
        return "image " + name + " (runtime " + runtime + ") is not in " + engine.where() + ": run "
                + "distribution/images/load-containerd.sh --address " + s.address() + " --namespace " + s.namespace()
                + " (or distribution/setup-engines.sh), or set " + ContainerdSettings.PREFIX + "image." + runtime
                + " to an image that is there";
    }

    private Descriptor platformManifest(String name, Descriptor index) {
        JsonNode idx = json(read(name, index.getDigest()), "index " + index.getDigest() + " of image " + name);
        String arch = switch (System.getProperty("os.arch", "").toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            default -> System.getProperty("os.arch");
        };
        for (JsonNode m : idx.path("manifests")) {
            JsonNode p = m.path("platform");
            boolean fits = p.isMissingNode() || ("linux".equals(p.path("os").asText()) && arch.equals(p.path("architecture").asText()));
            if (fits && !m.path("digest").asText("").isEmpty()) {
                return Descriptor.newBuilder().setMediaType(m.path("mediaType").asText("")).setDigest(m.path("digest").asText())
                        .setSize(m.path("size").asLong()).build();
            }
        }
        throw new SandboxException("image " + name + " in " + engine.where() + " has no manifest for linux/" + arch
                + "; build the runtime images on this machine (distribution/images/build.sh) and import them");
    }

    private byte[] read(String name, String digest) {
        return engine.call("read " + digest + " of image " + name, () -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Iterator<ReadContentResponse> it = engine.content().read(ReadContentRequest.newBuilder().setDigest(digest).build());
            while (it.hasNext()) {
                out.writeBytes(it.next().getData().toByteArray());
            }
            return out.toByteArray();
        });
    }

    private static JsonNode json(byte[] bytes, String what) {
        try {
            return JSON.readTree(bytes);
        } catch (IOException e) {
            throw new SandboxException(what + " is not JSON (" + e.getMessage() + "); import the image again", e);
        }
    }
}
