package dev.nest.gateway;

import dev.nest.common.ErrorResponse;
import dev.nest.common.Json;
import dev.nest.common.NestException;
import dev.nest.function.FunctionCatalog;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionVersion;
import dev.nest.sidecar.InvokeException;
import dev.nest.sidecar.Lease;
import dev.nest.sidecar.InstanceLeases;
import dev.nest.sidecar.Pending;
import dev.nest.store.InvocationRecord;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The node's public HTTP port. Invocations ({@code ANY /fn/{name}[/...]} for the {@code default} namespace,
 * {@code ANY /ns/{namespace}/fn/{name}[/...]} for others) are served here directly; every other path (the
 * admin API, {@code /health}) is passed to the admin server on its internal loopback port.
 *
 * <p>Why an event loop: the hop to the runtime host is on the path of every warm invocation. With one
 * selector thread per core, a request is read, forwarded over a pooled keep-alive connection and answered
 * without any thread hand-off or per-request thread; only cold starts leave the loop (the node agent starts
 * instances on its own threads and completes the waiting request's future, which resumes here).
 *
 * <p>The path of one invocation: parse {@code /fn/{name}{rest}}; resolve the live version from the in-memory
 * catalog; take a lease from the node agent (at once when an instance is free; otherwise wait, up to the
 * function's queue timeout and deadline); send {@code /invoke/{instance}{rest}?{query}} with the caller's
 * headers and body; copy the answer back with {@code x-nest-invocation-id}; release the lease; queue the
 * invocation record. At the function's {@code timeout} the caller gets 504 and the instance is recycled;
 * an instance that fails mid-request gives 502 and is replaced.
 *
 * <p>In a cluster, when this node has no ready instance of the live version and other nodes have (one lookup in
 * {@link PeerRoutes}, in memory), the request goes on to one of their gateways instead of waiting for a cold start
 * here; see {@code PeerCall}.
 */
public final class Gateway implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Gateway.class.getName());

    private final FunctionCatalog catalog;
    private final InstanceLeases agent;
    private final Consumer<InvocationRecord> records;
    private final long maxBody;
    private final Clock clock;
    private final PeerRoutes routes;
    private final Map<String, FunctionId> ids = new ConcurrentHashMap<>();
    private final List<EventLoop> loops = new ArrayList<>();
    private final List<Upstream> upstreams = new ArrayList<>();
    private ServerSocketChannel server;
    private int adminPort;
    private int next;

    public Gateway(FunctionCatalog catalog, InstanceLeases agent, Consumer<InvocationRecord> records, long maxBody, Clock clock) {
        this(catalog, agent, records, maxBody, clock, PeerRoutes.LOCAL_ONLY);
    }

    /**
     * A gateway that forwards an invocation to another node's gateway when this node has no ready instance of
     * the function and {@code routes} names peers that have one (see {@link PeerRoutes}).
     */
    public Gateway(FunctionCatalog catalog, InstanceLeases agent, Consumer<InvocationRecord> records, long maxBody, Clock clock,
                   PeerRoutes routes) {
        this.routes = routes;
        this.catalog = catalog;
        this.agent = agent;
        this.records = records;
        this.maxBody = maxBody;
        this.clock = clock;
    }

    /**
     * Binds {@code host:port} and starts one event loop per core.
     *
     * @param adminPort loopback port of the admin server that serves every non-invocation path
     */
    public void start(String host, int port, int adminPort, int threads) throws IOException {
        this.adminPort = adminPort;
        for (int i = 0; i < threads; i++) {
            EventLoop loop = new EventLoop("nest-gateway-" + i);
            loops.add(loop);
            upstreams.add(new Upstream(loop));
        }
        server = ServerSocketChannel.open();
        server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        server.bind(new InetSocketAddress(host, port), 1024);
        server.configureBlocking(false);
        EventLoop acceptLoop = loops.getFirst();
        server.register(acceptLoop.selector, SelectionKey.OP_ACCEPT, new EventLoop.IoHandler() {
            @Override
            public void ready(SelectionKey key) throws IOException {
                SocketChannel c;
                while ((c = server.accept()) != null) {
                    accept(c);
                }
            }

            @Override
            public void failed(Throwable t) {
                LOG.log(Level.WARNING, "accept failed", t);
            }
        });
        loops.forEach(EventLoop::start);
    }

    public int port() {
        return server.socket().getLocalPort();
    }

    private void accept(SocketChannel c) throws IOException {
        c.configureBlocking(false);
        c.setOption(StandardSocketOptions.TCP_NODELAY, true);
        int i = next++ % loops.size();
        EventLoop loop = loops.get(i);
        Upstream up = upstreams.get(i);
        Runnable register = () -> {
            try {
                new ClientConnection(loop, up, this, c, maxBody);
            } catch (IOException e) {
                try {
                    c.close();
                } catch (IOException ignored) {
                    // closing
                }
            }
        };
        if (loop.inLoop()) {
            register.run();
        } else {
            loop.execute(register);
        }
    }

    // ---- dispatch (loop thread) ------------------------------------------------------------------------

    void reject(ClientConnection c, int status, String detail) {
        String error = switch (status) {
            case 413 -> "request body too large";
            case 431 -> "request header too large";
            case 505 -> "HTTP version not supported";
            case 501 -> "not implemented";
            default -> "bad request";
        };
        error(c, status, error, detail, null);
    }

    void dispatch(ClientConnection c) {
        HttpRequestParser r = c.request;
        String target = r.target;
        int q = target.indexOf('?');
        String path = q < 0 ? target : target.substring(0, q);
        if (path.startsWith("/fn/") || path.startsWith("/ns/") && path.indexOf("/fn/", 4) > 0) {
            invoke(c, path, q < 0 ? "" : target.substring(q + 1));
        } else {
            proxyToAdmin(c);
        }
    }

    private void proxyToAdmin(ClientConnection c) {
        HttpRequestParser r = c.request;
        StringBuilder sb = new StringBuilder(256);
        sb.append(r.method).append(' ').append(r.target).append(" HTTP/1.1\r\nhost: 127.0.0.1:").append(adminPort).append("\r\n");
        for (int i = 0; i < r.headers.size(); i += 2) {
            String n = r.headers.get(i);
            if (!n.equalsIgnoreCase("host") && !n.equalsIgnoreCase("connection") && !n.equalsIgnoreCase("keep-alive")) {
                sb.append(n).append(": ").append(r.headers.get(i + 1)).append("\r\n");
            }
        }
        sb.append("content-length: ").append(r.body.length).append("\r\n\r\n");
        ByteBuffer head = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
        ByteBuffer[] req = r.body.length == 0 ? new ByteBuffer[] {head} : new ByteBuffer[] {head, ByteBuffer.wrap(r.body)};
        long gen = c.generation;
        c.upstream.exchange(adminPort, req, r.method.equals("HEAD"), System.nanoTime() + 600_000_000_000L, new Upstream.Callback() {
            @Override
            public void done(HttpResponseParser resp) {
                if (c.generation == gen) {
                    c.respond(resp.status, resp.headers, null, resp.body);
                }
            }

            @Override
            public void failed(IOException error, boolean timedOut) {
                if (c.generation == gen) {
                    error(c, 502, "admin server unavailable", "the admin API did not answer: " + error.getMessage(), null);
                }
            }
        });
    }

    private void invoke(ClientConnection c, String path, String query) {
        long t0 = System.nanoTime();
        Instant started = clock.instant();
        String invocationId = InvocationIds.next();
        String namespace = FunctionId.DEFAULT_NAMESPACE;
        int nameStart = 4;
        if (path.startsWith("/ns/")) {
            int slash = path.indexOf('/', 4);
            namespace = path.substring(4, slash);
            nameStart = slash + 4;
        }
        int end = path.indexOf('/', nameStart);
        String prefix = end < 0 ? path : path.substring(0, end);
        String rest = end < 0 ? "/" : path.substring(end);
        FunctionId id = ids.get(prefix);
        if (id == null) {
            try {
                id = FunctionId.of(namespace, end < 0 ? path.substring(nameStart) : path.substring(nameStart, end));
            } catch (IllegalArgumentException e) {
                error(c, 404, "function not found", e.getMessage(), invocationId);
                return;
            }
        }
        Optional<FunctionRecord> record = catalog.get(id);
        if (record.isEmpty()) {
            error(c, 404, "function not found", "no function " + id + " is deployed; see GET /api/v1/functions "
                    + "or deploy it with 'nest fn deploy'", invocationId);
            return;
        }
        if (ids.size() < 100_000) {
            ids.putIfAbsent(prefix, id);
        }
        Optional<FunctionVersion> live = record.get().liveVersion();
        if (live.isEmpty()) {
            error(c, 404, "function not deployed", "function " + id + " has no live version yet; deploy code to it", invocationId);
            return;
        }
        FunctionVersion version = live.get();
        long deadline = t0 + version.spec().timeout().toNanos();
        Call call = new Call(c, c.generation, version, invocationId, started, t0, deadline,
                started.toEpochMilli() + version.spec().timeout().toMillis(), rest + (query.isEmpty() ? "" : "?" + query));
        List<PeerRoutes.Peer> peers = routes.peersFor(id, version.version());
        if (!peers.isEmpty() && !forwarded(c.request)) {
            new PeerCall(call, peers).next();
            return;
        }
        acquireAndForward(call);
    }

    private static boolean forwarded(HttpRequestParser r) {
        for (int i = 0; i < r.headers.size(); i += 2) {
            if (r.headers.get(i).equalsIgnoreCase(PeerRoutes.FORWARDED_BY)) {
                return true;
            }
        }
        return false;
    }

    /**
     * One invocation sent on to another node's gateway, which serves it locally (it carries
     * {@link PeerRoutes#FORWARDED_BY}, so it is never forwarded twice). A peer that refuses the connection got
     * nothing: the next peer is tried, then this node (a cold start here). Failures after the request was sent
     * are answered with 502, as for a local instance, because the function may have run. The peer records the
     * invocation; this node does not record it a second time.
     */
    private final class PeerCall implements Upstream.Callback {
        final Call call;
        final List<PeerRoutes.Peer> peers;
        int index = -1;
        PeerRoutes.Peer peer;
        InetSocketAddress address;

        PeerCall(Call call, List<PeerRoutes.Peer> peers) {
            this.call = call;
            this.peers = peers;
        }

        void next() {
            index++;
            if (index >= peers.size() || System.nanoTime() >= call.deadline) {
                acquireAndForward(call);
                return;
            }
            peer = peers.get(index);
            address = peer.address();
            if (address.isUnresolved()) {
                routes.unreachable(peer);
                next();
                return;
            }
            HttpRequestParser r = call.c.request;
            StringBuilder sb = new StringBuilder(256);
            sb.append(r.method).append(' ').append(r.target).append(" HTTP/1.1\r\nhost: ").append(peer.host()).append(':')
                    .append(peer.port()).append("\r\n");
            for (int i = 0; i < r.headers.size(); i += 2) {
                String n = r.headers.get(i);
                if (!n.equalsIgnoreCase("host") && !n.equalsIgnoreCase("connection") && !n.equalsIgnoreCase("keep-alive")
                        && !n.equalsIgnoreCase("content-length") && !n.equalsIgnoreCase("transfer-encoding")) {
                    sb.append(n).append(": ").append(r.headers.get(i + 1)).append("\r\n");
                }
            }
            sb.append(PeerRoutes.FORWARDED_BY).append(": ").append(routes.self()).append("\r\n");
            sb.append("content-length: ").append(r.body.length).append("\r\n\r\n");
            ByteBuffer head = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
            ByteBuffer[] req = r.body.length == 0 ? new ByteBuffer[] {head} : new ByteBuffer[] {head, ByteBuffer.wrap(r.body)};
            call.tForward = System.nanoTime();
            // the peer answers within the function's timeout; a little more covers the hop
            call.c.upstream.exchange(address, req, r.method.equals("HEAD"), call.deadline + 1_000_000_000L, this);
        }

        @Override
        public void done(HttpResponseParser resp) {
            call.finished = true;
            if (call.c.generation == call.generation) {
                call.c.respond(resp.status, resp.headers, null, resp.body);
            }
        }

        @Override
        public void failed(IOException e, boolean timedOut) {
            call.c.upstream.forget(address);
            if (!timedOut && e instanceof java.net.ConnectException) {
                // nothing was sent: the peer is gone or not listening
                routes.unreachable(peer);
                next();
                return;
            }
            call.finished = true;
            if (call.c.generation == call.generation) {
                if (timedOut) {
                    error(call.c, 504, "function timed out", "node " + peer.node() + " did not answer for function "
                            + call.version.spec().id() + " within its timeout of " + call.version.spec().timeout().toMillis()
                            + " ms", call.invocationId);
                } else {
                    error(call.c, 502, "peer failed", "node " + peer.node() + " failed while serving function "
                            + call.version.spec().id() + " (" + e.getMessage() + "); retry the request", call.invocationId);
                }
            }
        }
    }

    /** Takes an instance for {@code call} (waiting on the loop, not blocking it) and forwards to it. */
    private void acquireAndForward(Call call) {
        ClientConnection c = call.c;
        Pending pending;
        try {
            pending = agent.acquireAsync(call.version, call.deadline);
        } catch (NestException e) {
            call.fail(e.status(), e.error(), e.detail());
            return;
        }
        Optional<Lease> now = pending.now();
        if (now.isPresent()) {
            call.forward(now.get());
            return;
        }
        EventLoop.Timer timer = c.loop.schedule(pending.waitUntilNanos() - System.nanoTime(), () -> {
            Optional<InvokeException> err = agent.cancel(pending);
            err.ifPresent(e -> call.fail(e.status(), e.error(), e.detail()));
        });
        pending.later().whenComplete((lease, error) -> c.loop.execute(() -> {
            timer.cancel();
            if (error != null) {
                Throwable cause = error instanceof CompletionException ce && ce.getCause() != null ? ce.getCause() : error;
                if (cause instanceof NestException ne) {
                    call.fail(ne.status(), ne.error(), ne.detail());
                } else {
                    call.fail(502, "instance start failed", String.valueOf(cause.getMessage()));
                }
            } else if (c.closed() || c.generation != call.generation) {
                lease.release();
            } else {
                call.forward(lease);
            }
        }));
    }

    /** One invocation in flight on a loop. */
    private final class Call implements Upstream.Callback {
        final ClientConnection c;
        final long generation;
        final FunctionVersion version;
        final String invocationId;
        final Instant started;
        final long t0;
        final long deadline;
        final long deadlineEpoch;
        final String rest;
        Lease lease;
        long tForward;
        boolean finished;
        boolean retried;

        Call(ClientConnection c, long generation, FunctionVersion version, String invocationId, Instant started, long t0,
             long deadline, long deadlineEpoch, String rest) {
            this.c = c;
            this.generation = generation;
            this.version = version;
            this.invocationId = invocationId;
            this.started = started;
            this.t0 = t0;
            this.deadline = deadline;
            this.deadlineEpoch = deadlineEpoch;
            this.rest = rest;
        }

        void forward(Lease l) {
            lease = l;
            HttpRequestParser r = c.request;
            ByteBuffer[] req = l.instance().client().encodeInvocation(r.method, "/invoke/" + l.instance().id() + rest,
                    r.headers, invocationId, deadlineEpoch, r.body);
            tForward = System.nanoTime();
            c.upstream.exchange(l.instance().port(), req, r.method.equals("HEAD"), deadline, this);
        }

        @Override
        public void done(HttpResponseParser resp) {
            long tDone = System.nanoTime();
            lease.release();
            String error = "";
            for (int i = 0; i < resp.headers.size(); i += 2) {
                if (resp.headers.get(i).equalsIgnoreCase("x-nest-error")) {
                    error = resp.headers.get(i + 1) + ": " + errorDetail(resp.body);
                }
            }
            if (c.generation == generation) {
                if (lease.cold()) {
                    c.respond(resp.status, resp.headers, null, resp.body, "x-nest-invocation-id", invocationId, "x-nest-cold", "true");
                } else {
                    c.respond(resp.status, resp.headers, null, resp.body, "x-nest-invocation-id", invocationId);
                }
            }
            record(resp.status, error, phases(tDone));
        }

        @Override
        public void failed(IOException e, boolean timedOut) {
            long tDone = System.nanoTime();
            c.upstream.forget(lease.instance().port());
            if (!timedOut && e instanceof java.net.ConnectException && !retried && tDone < deadline) {
                // nothing reached the instance (it died before its exit was noticed): another one may serve it
                retried = true;
                lease.recycle("instance refused the connection for invocation " + invocationId);
                lease = null;
                acquireAndForward(this);
                return;
            }
            if (timedOut) {
                lease.recycle("invocation " + invocationId + " exceeded the timeout of " + version.spec().timeout().toMillis() + " ms");
                String detail = "function " + version.spec().id() + " did not answer within its timeout of "
                        + version.spec().timeout().toMillis() + " ms; the instance was recycled";
                respondError(504, "function timed out", detail);
                record(504, "timeout: " + detail, phases(tDone));
            } else {
                lease.recycle("invocation " + invocationId + " failed: " + e.getMessage());
                String detail = "the instance of " + version.spec().id() + " failed during the invocation (" + e.getMessage()
                        + "); it was replaced, retry the request";
                respondError(502, "instance failed", detail);
                record(502, detail, phases(tDone));
            }
        }

        void fail(int status, String error, String detail) {
            if (finished) {
                return;
            }
            respondError(status, error, detail);
            record(status, error + ": " + detail, Map.of("queue", (System.nanoTime() - t0) / 1e6));
        }

        private void respondError(int status, String error, String detail) {
            if (c.generation == generation) {
                error(c, status, error, detail, invocationId);
            }
        }

        private Map<String, Double> phases(long tDone) {
            Map<String, Double> p = new LinkedHashMap<>();
            p.put("queue", lease.queueMillis());
            p.putAll(lease.startPhases());
            p.put("exec", (tDone - tForward) / 1e6);
            return p;
        }

        private void record(int status, String error, Map<String, Double> phases) {
            finished = true;
            records.accept(new InvocationRecord(invocationId, version.spec().id().toString(), version.version(), started,
                    (System.nanoTime() - t0) / 1e6, status, lease != null && lease.cold(),
                    lease == null ? "" : lease.instance().id(), error, phases));
        }
    }

    private static String errorDetail(byte[] body) {
        try {
            return Json.tree(body, "error").path("detail").asText("");
        } catch (RuntimeException e) {
            return "";
        }
    }

    private static void error(ClientConnection c, int status, String error, String detail, String invocationId) {
        ErrorResponse e = new ErrorResponse(status, error, detail, invocationId);
        if (invocationId != null) {
            c.respond(status, List.of(), "application/json", e.body(), "x-nest-invocation-id", invocationId);
        } else {
            c.respond(status, List.of(), "application/json", e.body());
        }
    }

    @Override
    public void close() {
        try {
            if (server != null) {
                server.close();
            }
        } catch (IOException ignored) {
            // closing
        }
        for (int i = 0; i < loops.size(); i++) {
            Upstream up = upstreams.get(i);
            EventLoop loop = loops.get(i);
            loop.execute(up::closeAll);
            loop.close();
        }
    }
}
