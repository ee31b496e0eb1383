package dev.nest.it.drivers;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.Empty;
import containerd.services.containers.v1.Container;
import containerd.services.containers.v1.ContainersGrpc;
import containerd.services.containers.v1.GetContainerRequest;
import containerd.services.containers.v1.ListContainersRequest;
import containerd.services.images.v1.GetImageRequest;
import containerd.services.images.v1.ImagesGrpc;
import containerd.services.leases.v1.LeasesGrpc;
import containerd.services.leases.v1.ListRequest;
import containerd.services.snapshots.v1.ListSnapshotsRequest;
import containerd.services.snapshots.v1.SnapshotsGrpc;
import containerd.services.tasks.v1.KillRequest;
import containerd.services.tasks.v1.ListTasksRequest;
import containerd.services.tasks.v1.TasksGrpc;
import containerd.services.version.v1.VersionGrpc;
import dev.nest.it.Engines;
import dev.nest.it.Http;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * containerd as the integration tests read it, through its own gRPC API (the stubs the driver uses), on
 * {@code NEST_CONTAINERD_ADDRESS} (default {@code /run/nest/containerd/containerd.sock}, the containerd that
 * {@code distribution/setup-engines.sh} starts), namespace {@code nest}.
 */
final class ContainerdClient {
    static final String NAMESPACE = "nest";
    /** Netty warns on every connection that Unix sockets have no SO_KEEPALIVE (gRPC asks for it); held: JUL keeps loggers weakly. */
    private static final java.util.logging.Logger BOOTSTRAP_LOG = java.util.logging.Logger.getLogger("io.netty.bootstrap");

    static {
        BOOTSTRAP_LOG.setLevel(java.util.logging.Level.SEVERE);
    }

    private static ContainerdClient shared;

    private final ManagedChannel channel;
    private final Channel ns;

    private ContainerdClient(String address) {
        java.util.concurrent.ThreadFactory t = r -> Thread.ofPlatform().daemon().unstarted(r);
        channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(address)).channelType(EpollDomainSocketChannel.class)
                .eventLoopGroup(new EpollEventLoopGroup(1, t)).usePlaintext().overrideAuthority("localhost").build();
        Metadata md = new Metadata();
        md.put(Metadata.Key.of("containerd-namespace", Metadata.ASCII_STRING_MARSHALLER), NAMESPACE);
        ns = ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(md));
    }

    static String address() {
        return Engines.containerdAddress();
    }

    static synchronized ContainerdClient get() {
        if (shared == null) {
            shared = new ContainerdClient(address());
        }
        return shared;
    }

    /** containerd answers on {@link #address()} and has the runtime images in namespace {@code nest}. */
    static void requireContainerdAndImages(String... images) {
        Engines.requireContainerd(address -> {
            try {
                VersionGrpc.newBlockingStub(get().ns).withDeadlineAfter(5, TimeUnit.SECONDS).version(Empty.getDefaultInstance());
                return true;
            } catch (StatusRuntimeException e) {
                System.err.println("containerd at " + address + ": " + e.getStatus());
                return false;
            }
        });
        for (String image : images) {
            boolean present;
            try {
                ImagesGrpc.newBlockingStub(get().ns).withDeadlineAfter(5, TimeUnit.SECONDS)
                        .get(GetImageRequest.newBuilder().setName(image).build());
                present = true;
            } catch (StatusRuntimeException e) {
                present = false;
            }
            Engines.require("containerd image " + image, present, "distribution/images/load-containerd.sh --address "
                    + address() + ", or distribution/setup-engines.sh (as root)");
        }
    }

    private static String filter(String key, String value) {
        return "labels.\"" + key + "\"==\"" + value + "\"";
    }

    ContainersGrpc.ContainersBlockingStub containers() {
        return ContainersGrpc.newBlockingStub(ns).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    List<Container> containersOfNode(String node) {
        return containers().list(ListContainersRequest.newBuilder().addFilters(filter("dev.nest.node", node)).build())
                .getContainersList();
    }

    Container containerOfPod(String podId) {
        List<Container> c = containers().list(ListContainersRequest.newBuilder().addFilters(filter("dev.nest.pod", podId))
                .build()).getContainersList();
        if (c.size() != 1) {
            throw new AssertionError("expected one container of pod " + podId + " in containerd, found " + c.size());
        }
        return containers().get(GetContainerRequest.newBuilder().setId(c.getFirst().getId()).build()).getContainer();
    }

    /** The OCI runtime spec the container was created with. */
    JsonNode spec(Container c) {
        try {
            return Http.JSON.readTree(c.getSpec().getValue().toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void kill(String containerId, int signal) {
        TasksGrpc.newBlockingStub(ns).withDeadlineAfter(30, TimeUnit.SECONDS)
                .kill(KillRequest.newBuilder().setContainerId(containerId).setSignal(signal).setAll(true).build());
    }

    /** Tasks whose container id is one of {@code ids}. */
    List<String> tasks(List<String> ids) {
        List<String> out = new ArrayList<>();
        TasksGrpc.newBlockingStub(ns).withDeadlineAfter(30, TimeUnit.SECONDS).list(ListTasksRequest.getDefaultInstance())
                .getTasksList().forEach(t -> {
                    if (ids.contains(t.getContainerId())) {
                        out.add("task " + t.getContainerId() + " (" + t.getStatus() + ")");
                    }
                });
        return out;
    }

    /**
     * Removes every container of node {@code node} with its task, snapshot and lease, and the leases and
     * snapshots of the node left without a container (test clean-up; best effort, through the API only).
     */
    void removeAllOfNode(String node) {
        for (Container c : containersOfNode(node)) {
            String id = c.getId();
            quietly(() -> kill(id, 9));
            quietly(() -> TasksGrpc.newBlockingStub(ns).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .wait(containerd.services.tasks.v1.WaitRequest.newBuilder().setContainerId(id).build()));
            quietly(() -> TasksGrpc.newBlockingStub(ns).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .delete(containerd.services.tasks.v1.DeleteTaskRequest.newBuilder().setContainerId(id).build()));
            quietly(() -> containers().delete(containerd.services.containers.v1.DeleteContainerRequest.newBuilder().setId(id).build()));
        }
        for (String s : snapshotsOfNode(node)) {
            quietly(() -> SnapshotsGrpc.newBlockingStub(ns).withDeadlineAfter(30, TimeUnit.SECONDS).remove(
                    containerd.services.snapshots.v1.RemoveSnapshotRequest.newBuilder().setSnapshotter("overlayfs")
                            .setKey(s.substring("snapshot ".length())).build()));
        }
        for (String l : leasesOfNode(node)) {
            quietly(() -> LeasesGrpc.newBlockingStub(ns).withDeadlineAfter(30, TimeUnit.SECONDS).delete(
                    containerd.services.leases.v1.DeleteRequest.newBuilder().setId(l.substring("lease ".length())).build()));
        }
    }

    private static void quietly(Runnable r) {
        try {
            r.run();
        } catch (StatusRuntimeException ignored) {
            // gone already, or left for the next run's report
        }
    }

    List<String> snapshotsOfNode(String node) {
        List<String> out = new ArrayList<>();
        SnapshotsGrpc.newBlockingStub(ns).withDeadlineAfter(30, TimeUnit.SECONDS).list(ListSnapshotsRequest.newBuilder()
                .setSnapshotter("overlayfs").addFilters(filter("dev.nest.node", node)).build())
                .forEachRemaining(r -> r.getInfoList().forEach(i -> out.add("snapshot " + i.getName())));
        return out;
    }

    List<String> leasesOfNode(String node) {
        List<String> out = new ArrayList<>();
        LeasesGrpc.newBlockingStub(ns).withDeadlineAfter(30, TimeUnit.SECONDS).list(ListRequest.newBuilder()
                .addFilters(filter("dev.nest.node", node)).build()).getLeasesList().forEach(l -> out.add("lease " + l.getId()));
        return out;
    }
}
