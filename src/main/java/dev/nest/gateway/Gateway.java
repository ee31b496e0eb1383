package dev.nest.gateway;

import dev.nest.async.Acceptance;
import dev.nest.auth.PeerCredential;
import dev.nest.async.AsyncIngress;
import dev.nest.common.InvocationIds;
import dev.nest.common.NestException;
import dev.nest.config.NestConfig;
import dev.nest.function.FunctionCatalog;
import dev.nest.function.FunctionId;
import dev.nest.function.FunctionRecord;
import dev.nest.function.FunctionVersion;
import dev.nest.function.InvocationAuth;
import dev.nest.limits.Admission;
import dev.nest.limits.Caller;
import dev.nest.limits.Decision;
import dev.nest.sidecar.InstanceLeases;
import dev.nest.store.InvocationRecord;
import io.netty.channel.Channel;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The node's public HTTP port. Invocations ({@code ANY /fn/{name}[/...]} for the {@code default} namespace,
 * {@code ANY /ns/{namespace}/fn/{name}[/...]} for others) are served here directly; every other path (the
 * admin API, {@code /health}) is passed to the admin server on its internal loopback port.
 *
 * <p>Why event loops: the hop to the runtime host is on the path of every warm invocation. With one Netty event loop
 * per core ({@code Transport}; the client's connection and the pooled keep-alive connections to hosts on the same
 * loop), a request is read, forwarded and answered without any thread hand-off or per-request thread; only cold starts leave the loop ({@link InstanceLeases},
 * the node agent, starts instances on its own threads and completes the waiting request's future, which resumes
 * here).
 *
 * <p>The path of one invocation: parse {@code /fn/{name}{rest}}; resolve the version from the in-memory catalog
 * ({@link VersionResolver}: the alias {@code live}, its weights, or the alias or version the request names with
 * {@code X-Nest-Qualifier} or {@code /fn/{name}@{qualifier}}); take a lease from {@link InstanceLeases} (at once when an instance is free; otherwise wait, up to the
 * function's queue timeout and deadline); send {@code /invoke/{instance}{rest}?{query}} with the caller's
 * headers and body; copy the answer back with {@code x-nest-invocation-id}; release the lease; hand the
 * invocation record to the records consumer (on the loop thread: it must not block). The execution
 * {@code timeout} starts when the request reaches the instance; a host that has not answered a grace after it gives
 * 504 and its instance is recycled; an instance that fails mid-request gives 502 and is replaced, and the request
 * goes to another instance only if none of it was sent or its method is idempotent (see {@code Call}). Errors have
 * the JSON shape of {@link dev.nest.common.ErrorResponse}; a 429 or 503 carries {@code Retry-After}. The function
 * sees the client's {@code Host} and {@code X-Forwarded-*}/{@code Forwarded} ({@link TrustedProxies}).
 *
 * <p>A function whose spec says {@code auth: token} is invoked only for a caller that {@link InvokeAuth} lets
 * through (the {@code Authorization} header): 401 with {@code WWW-Authenticate: Bearer realm="nest"}, or 403,
 * otherwise. Both carry {@code x-nest-auth: token}, which a
 * function's own answer cannot (the gateway drops its {@code x-nest-*} headers), so that a client may send its token
 * again to this function without sending it to every function. The {@code Authorization} header is removed before the request reaches the function (a peer
 * gateway the call is forwarded to gets it, and checks it again). A public function takes no part of this: no header
 * lookup, no call.
 *
 * <p>Async invocations (when the gateway was given an {@link AsyncIngress}): a request with
 * {@code X-Nest-Invocation-Type: async} (or {@code X-Amz-Invocation-Type: Event}) is passed the same checks as a
 * synchronous one (404s; for a token function the token, 401/403, at accept time), then handed to the ingress, which
 * stores it off the loop; the loop answers {@code 202} with {@code Location} and {@code x-nest-invocation-id} (or the
 * refusal: 413, 400, 503) once it is durable, so the event loop never waits on the disk. The dispatcher's deliveries
 * come back here with {@link AsyncIngress#DELIVERY}: one with this process's secret is served synchronously under the
 * event's invocation id without a token check (the event was authorized when it was accepted); a token function's
 * delivery is served on this node, never forwarded to a peer (which would ask for the token the event does not keep). The
 * {@link AsyncIngress#DELIVERY} header is removed from every request before anything else, valid or not, so it never
 * reaches function code or a peer.
 *
 * <p>Admission ({@link Admission}, ADR 0017): after the function and its auth are resolved and before an instance is
 * leased, one {@link Admission#admit} call applies the rate limits (429 with {@code Retry-After}) and the function's
 * circuit breaker (its fallback, or 503); {@code Fallbacks} answers what is not admitted. The records consumer should
 * feed {@link Admission#record}, which the breakers learn from.
 *
 * <p>In a cluster, when this node has no ready instance of the live version and other nodes have (one lookup in
 * {@link PeerRoutes}, in memory), the request goes on to one of their gateways instead of waiting for a cold start
 * here; see {@code PeerCall}.
 *
 * <p>Lifecycle: {@link #start} binds the port and starts the loops; {@link #close} stops accepting, closes every
 * connection and stops the loops. Limits: request bodies up to {@code maxBody} bytes (413 above), request heads
 * up to 64 KiB (431 above), HTTP/1.x only, framed strictly (RFC 9112: see {@code RequestRules}); the timeouts
 * and connection cap of {@link NestConfig.Gateway} (see {@code ClientConnection} and {@code Acceptor}); TLS when
 * started with a {@link Tls}. A forwarded invocation ({@link PeerRoutes#FORWARDED_BY}) is served only with the
 * cluster credential ({@code X-Nest-Cluster-Auth}; 403 otherwise), which never reaches a function.
 */
public final class Gateway implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Gateway.class.getName());
    /** How long the admin server may take to answer one request passed on to it. */
    private static final long ADMIN_TIMEOUT_NANOS = 600_000_000_000L;
    /** Function ids kept by path prefix, so that the warm path parses none; beyond this many, new ones are not kept. */
    private static final int MAX_CACHED_IDS = 100_000;

    private final FunctionCatalog catalog;
    private final VersionResolver versions = VersionResolver.random();
    private final InstanceLeases leases;
    private final Consumer<InvocationRecord> records;
    private final long maxBody;
    private final Clock clock;
    private final PeerRoutes routes;
    private final InvokeAuth auth;
    private final Optional<AsyncIngress> async;
    private final TrustedProxies trustedProxies;
    private final NestConfig.Gateway limits;
    private final Admission admission;
    private final Fallbacks fallbacks;
    private volatile EventIngress events = EventIngress.standard();
    private volatile Consumer<InvocationSpan> spans = s -> { };
    /** The cluster's credential: sent with forwarded invocations, required on those this node receives. */
    private final Optional<PeerCredential> peerCredential;
    /** The header that carries {@link #peerCredential} (its own name, or the default when there is none). */
    private final String credentialHeader;
    private final Map<String, Known> ids = new ConcurrentHashMap<>();
    /** Invocations an instance of this node serves now, by invocation id (see {@link #stop}). */
    private final Map<String, Call> running = new ConcurrentHashMap<>();
    private volatile PeerRoutes.RemoteStop remoteStop = PeerRoutes.RemoteStop.NONE;
    private final ClientConnection.Dispatcher dispatcher = this::dispatch;
    /** Serves other nodes' chunk fetches from the files (see {@link #chunkFiles}); null: the admin server does. */
    private volatile ChunkServer chunks;
    private Transport transport;
    private Channel server;
    private int adminPort;

    public Gateway(FunctionCatalog catalog, InstanceLeases leases, Consumer<InvocationRecord> records, long maxBody, Clock clock) {
        this(catalog, leases, records, maxBody, clock, PeerRoutes.LOCAL_ONLY);
    }

    /**
     * A gateway that forwards an invocation to another node's gateway when this node has no ready instance of
     * the function and {@code routes} names peers that have one (see {@link PeerRoutes}).
     */
    public Gateway(FunctionCatalog catalog, InstanceLeases leases, Consumer<InvocationRecord> records, long maxBody, Clock clock,
                   PeerRoutes routes) {
        this(catalog, leases, records, maxBody, clock, routes, InvokeAuth.UNAVAILABLE);
    }

    /**
     * A gateway that also invokes functions whose spec says {@code auth: token}, for the callers {@code auth} lets
     * through (the other constructors refuse them all with 503).
     */
    public Gateway(FunctionCatalog catalog, InstanceLeases leases, Consumer<InvocationRecord> records, long maxBody, Clock clock,
                   PeerRoutes routes, InvokeAuth auth) {
        this(catalog, leases, records, maxBody, clock, routes, auth, Optional.empty());
    }

    /**
     * A gateway that also hands async invocation requests to {@code async} and serves its deliveries (see
     * {@link AsyncIngress}); without one, an async request is served synchronously.
     */
    public Gateway(FunctionCatalog catalog, InstanceLeases leases, Consumer<InvocationRecord> records, long maxBody, Clock clock,
                   PeerRoutes routes, InvokeAuth auth, Optional<AsyncIngress> async) {
        this(catalog, leases, records, maxBody, clock, routes, auth, async, NestConfig.Gateway.DEFAULTS);
    }

    /**
     * A gateway with the timeouts and connection cap of {@code limits} (the other constructors use
     * {@link NestConfig.Gateway#DEFAULTS}) that believes the {@code X-Forwarded-*} and {@code Forwarded} headers of
     * the clients in its {@code trusted-proxies} (see {@link TrustedProxies}).
     *
     * @throws IllegalArgumentException when a trusted proxy is not an address or CIDR block
     */
    public Gateway(FunctionCatalog catalog, InstanceLeases leases, Consumer<InvocationRecord> records, long maxBody, Clock clock,
                   PeerRoutes routes, InvokeAuth auth, Optional<AsyncIngress> async, NestConfig.Gateway limits) {
        this(catalog, leases, records, maxBody, clock, routes, auth, async, limits, Admission.local(clock),
                Optional.empty());
    }

    /**
     * A gateway of a cluster node. Its invocations pass {@code admission} (rate limits, circuit breakers) before an
     * instance is leased (the other constructors use {@link Admission#local}; the records consumer should feed
     * {@link Admission#record}). Invocations it forwards to a peer carry {@code peerCredential}, and an invocation
     * that arrives marked as forwarded ({@link PeerRoutes#FORWARDED_BY}) is served only when it carries it too (403
     * otherwise). Without a credential every forwarded invocation that arrives is refused. The credential's header
     * never reaches a function.
     *
     * @throws IllegalArgumentException when a trusted proxy is not an address or CIDR block
     */
    public Gateway(FunctionCatalog catalog, InstanceLeases leases, Consumer<InvocationRecord> records, long maxBody, Clock clock,
                   PeerRoutes routes, InvokeAuth auth, Optional<AsyncIngress> async, NestConfig.Gateway limits,
                   Admission admission, Optional<PeerCredential> peerCredential) {
        this.admission = admission;
        this.peerCredential = peerCredential;
        this.credentialHeader = peerCredential.map(PeerCredential::headerName).orElse(PeerAuth.HEADER);
        this.limits = limits;
        this.trustedProxies = new TrustedProxies(limits.trustedProxies());
        this.auth = auth;
        this.async = async;
        this.routes = routes;
        this.catalog = catalog;
        this.leases = leases;
        this.records = records;
        this.maxBody = maxBody;
        this.clock = clock;
        this.fallbacks = new Fallbacks(catalog, admission, leases, records, trustedProxies, this::authorized);
    }

    /**
     * Hands each invocation this gateway serves (and records) to {@code spans} as a span of its trace (before
     * {@link #start}; the default drops them). Called on the loop thread: it must not block.
     */
    public Gateway spans(Consumer<InvocationSpan> spans) {
        this.spans = spans;
        fallbacks.spans = spans;
        return this;
    }

    /** Uses {@code events} for event-only functions and CloudEvents (before {@link #start}; the default accepts no trigger calls). */
    public Gateway events(EventIngress events) {
        this.events = events;
        return this;
    }

    /**
     * Serves {@code GET|HEAD /api/v1/artifacts/chunks/{sha256}} from {@code files} here, on the loop and without copying
     * the chunk (sendfile on a plain port), when the request carries the cluster's peer credential; every other request
     * of that route, and every chunk {@code files} does not give, still goes to the admin server (see
     * {@code ChunkServer}). Before {@link #start}; without it the admin server serves every chunk.
     *
     * @throws IllegalStateException when the gateway was made without the cluster's credential
     */
    public Gateway chunkFiles(ChunkFiles files) {
        this.chunks = new ChunkServer(java.util.Objects.requireNonNull(files), peerCredential.orElseThrow(
                () -> new IllegalStateException("serving chunks to peers needs the cluster's peer credential")));
        return this;
    }

    /**
     * Binds {@code host:port} (plain HTTP) and starts {@code threads} event loops (Netty's, epoll where available), or
     * as many as {@code gateway.event-loops} says when it is set.
     *
     * @param adminPort loopback port of the admin server that serves every non-invocation path
     * @throws BindException when the port is taken
     */
    public void start(String host, int port, int adminPort, int threads) throws IOException {
        start(host, port, adminPort, threads, Optional.empty());
    }

    /**
     * {@link #start(String, int, int, int)}, serving TLS when {@code tls} is present; invocations forwarded to other
     * nodes then go over TLS too (see {@link Tls}).
     */
    public void start(String host, int port, int adminPort, int threads, Optional<Tls> tls) throws IOException {
        this.adminPort = adminPort;
        transport = new Transport(limits.eventLoops() > 0 ? limits.eventLoops() : threads, limits.pipelineDepth(),
                tls.map(t -> t.client));
        Acceptor acceptor = new Acceptor(Acceptor.connectionLimit(limits.maxConnections()), System::nanoTime);
        try {
            server = transport.listen(host, port, acceptor, tls.map(t -> t.server),
                    loop -> new ClientConnection(loop, dispatcher, maxBody, limits, tls.isPresent()));
        } catch (IOException | RuntimeException e) {
            transport.close();
            transport = null;
            throw e;
        }
    }

    /** The bound port (the one chosen by the system when {@link #start} was given 0). */
    public int port() {
        if (server == null) {
            throw new IllegalStateException("the gateway is not started");
        }
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    // ---- dispatch (loop thread) ------------------------------------------------------------------------

    private void dispatch(ClientConnection c) {
        Optional<InvocationPath> invocation = InvocationPath.of(c.request.target);
        if (invocation.isPresent()) {
            invoke(c, invocation.get());
        } else if (InvocationPath.underInvocations(c.request.target)) {
            c.respondError(404, "function not found", "no function at " + InvocationPath.shown(c.request.target)
                    + "; invoke one at /fn/{name}/... or /ns/{namespace}/fn/{name}/...", null);
        } else if (chunks == null || !chunks.serve(c)) {
            proxyToAdmin(c);
        }
    }

    private void proxyToAdmin(ClientConnection c) {
        ClientRequest r = c.request;
        ByteBuffer[] req = ProxiedRequest.encode(r, "127.0.0.1", adminPort, null, null);
        long gen = c.generation;
        c.upstream.exchange(adminPort, req, r.method.equals("HEAD"), System.nanoTime() + ADMIN_TIMEOUT_NANOS, new Upstream.Callback() {
            boolean streaming;

            @Override
            public boolean streams(int status, io.netty.handler.codec.http.HttpHeaders headers) {
                // an event stream (GET /api/v1/logs?follow=true) goes on to the client as it comes
                String type = headers.get(io.netty.handler.codec.http.HttpHeaderNames.CONTENT_TYPE);
                streaming = c.generation == gen && status == 200 && type != null && type.startsWith("text/event-stream");
                if (streaming) {
                    c.streamHead(status, headers);
                }
                return streaming;
            }

            @Override
            public boolean part(io.netty.buffer.ByteBuf content) {
                if (c.generation != gen) {
                    content.release();
                    return false;
                }
                return c.streamPart(content);
            }

            @Override
            public void done(UpstreamResponse resp) {
                if (streaming) {
                    resp.release();
                    if (c.generation == gen) {
                        c.streamEnd();
                    }
                } else if (c.generation == gen) {
                    c.respond(resp.status, resp.headers, resp.body);
                } else {
                    resp.release();
                }
            }

            @Override
            public void failed(IOException error, boolean timedOut) {
                if (streaming) {
                    if (c.generation == gen) {
                        c.close(); // the head went out already: the stream just ends
                    }
                } else if (c.generation == gen) {
                    c.respondError(502, "admin server unavailable", "the admin API did not answer: " + error.getMessage(), null);
                }
            }
        });
    }

    private void invoke(ClientConnection c, InvocationPath path) {
        long t0 = System.nanoTime();
        Instant started = clock.instant();
        String invocationId = InvocationIds.next(started.toEpochMilli());
        boolean forwarded = forwarded(c.request);
        // the credential never reaches a function, whoever sent it (so no function can learn it and forge it)
        Optional<String> presented = peerCredential.isPresent() || forwarded
                ? removeHeader(c.request.headers, credentialHeader) : Optional.empty();
        if (forwarded && !PeerAuth.accepts(peerCredential, presented)) {
            c.respondError(403, "peer credential required", PeerAuth.refusal(peerCredential, presented), invocationId);
            return;
        }
        if (forwarded) { // served under the forwarding node's id, so that its stop finds it here (see #stop)
            invocationId = removeHeader(c.request.headers, PeerRoutes.FORWARDED_ID)
                    .filter(v -> InvocationIds.tagOf(v).isPresent()).orElse(invocationId);
        }
        String prefix = path.prefix();
        Known known = ids.get(prefix);
        FunctionId id;
        if (known != null) {
            id = known.id();
        } else {
            try {
                id = FunctionId.of(path.namespace(), path.name());
            } catch (IllegalArgumentException e) {
                c.respondError(404, "function not found", e.getMessage(), invocationId);
                return;
            }
        }
        Optional<FunctionRecord> record = catalog.get(id);
        if (record.isEmpty()) {
            c.respondError(404, "function not found", "no function " + id + " is deployed; see GET /api/v1/functions "
                    + "or deploy it with 'nest fn deploy'", invocationId);
            return;
        }
        if (known == null) {
            known = new Known(id, id.toString());
            if (ids.size() < MAX_CACHED_IDS && prefix.indexOf('@') < 0) { // qualified prefixes would crowd the names out
                ids.putIfAbsent(prefix, known);
            }
        }
        String function = known.text();
        FunctionVersion version;
        switch (versions.resolve(record.get(), path.qualifier(), c.request.headers)) {
            case VersionResolver.Resolution.Resolved ok -> version = ok.version();
            case VersionResolver.Resolution.Refused no -> {
                c.respondError(no.status(), no.error(), no.detail(), invocationId);
                return;
            }
        }
        Optional<Caller> caller = Optional.empty();
        Optional<String> deliveryHeader = removeHeader(c.request.headers, AsyncIngress.DELIVERY);
        Optional<String> delivery = deliveryHeader.isEmpty() || async.isEmpty() ? Optional.empty()
                : async.get().delivery(List.of(AsyncIngress.DELIVERY, deliveryHeader.get()));
        if (delivery.isPresent()) {
            invocationId = delivery.get(); // authorized when it was accepted
        } else {
            if (version.spec().auth() == InvocationAuth.TOKEN) {
                caller = authorized(c, id, invocationId);
                if (caller.isEmpty()) {
                    return;
                }
            }
            if (!admitEvent(c, id, version, invocationId)) { // event-only functions, CloudEvents
                return;
            }
            if (async.isPresent() && AsyncIngress.wantsAsync(c.request.headers)) {
                if (admission.limit(version.spec(), caller.filter(w -> !w.token().isEmpty())) instanceof Decision.Refuse r) {
                    Call.respondRefusal(c, r.error());
                    return;
                }
                enqueue(c, async.get(), version, path);
                return;
            }
        }
        Decision admitted = admission.admit(version.spec(), caller.filter(w -> !w.token().isEmpty()), delivery.isPresent());
        if (!(admitted instanceof Decision.Admit)) {
            Optional<FunctionVersion> fallback = fallbacks.serve(c, admitted, version, caller, invocationId, started,
                    t0, path.rest());
            if (fallback.isEmpty()) {
                return;
            }
            version = fallback.get();
            id = version.spec().id();
            function = id.toString();
        }
        Call call = new Call(c, version, function, invocationId, started, t0, path.rest(), leases, records,
                trustedProxies);
        call.spans = spans;
        call.trackIn(running);
        List<PeerRoutes.Peer> peers = routes.peersFor(id, version.version());
        // a token function's delivery stays here: a peer would ask for the token, which the event does not keep
        if (!peers.isEmpty() && !forwarded && version.spec().http()
                && (delivery.isEmpty() || version.spec().auth() == InvocationAuth.PUBLIC)) {
            new PeerCall(call, peers, routes, peerCredential).next();
            return;
        }
        call.acquireAndForward();
    }

    /**
     * Stops invocation {@code invocationId} if this node's gateway serves it now (see {@link Call#stop}): one waiting
     * for an instance is withdrawn (nothing is killed); one at its instance is answered at once and its instance stops
     * draining (no new request; its other requests finish, then its pod stops, so the function's code ends); one
     * forwarded to a peer is stopped there through {@link PeerRoutes.RemoteStop} (the forwarded request carries its
     * id). The stopped invocation's caller gets 409 {@code invocation stopped} and it is recorded with
     * {@code reason}. Completes with whether it was stopped: false when this node does not serve it (finished, or
     * never here) or the peer serving it did not stop it. Any thread; the stop runs on the call's loop.
     */
    public CompletableFuture<Boolean> stop(String invocationId, String reason) {
        Call call = running.get(invocationId);
        if (call == null) {
            return CompletableFuture.completedFuture(false);
        }
        CompletableFuture<Boolean> stopped = new CompletableFuture<>();
        try {
            call.c.loop.execute(() -> {
                switch (call.stop(reason)) {
                    case WITHDRAW, DRAIN -> stopped.complete(true);
                    case NONE -> stopped.complete(false);
                    case PEER -> call.forwardedTo().ifPresentOrElse(peer -> {
                        CompletableFuture<Boolean> there;
                        try {
                            there = remoteStop.stop(peer, invocationId, reason);
                        } catch (RuntimeException e) {
                            there = CompletableFuture.failedFuture(e);
                        }
                        there.whenComplete((ok, x) -> stopped.complete(x == null && Boolean.TRUE.equals(ok)));
                    }, () -> stopped.complete(false));
                }
            });
        } catch (RejectedExecutionException closing) { // the gateway is closing: its calls end with it
            stopped.complete(false);
        }
        return stopped;
    }

    /** The ids of the invocations {@link #stop} finds now (waiting, at an instance here, or forwarded); for tests. */
    java.util.Set<String> stoppable() {
        return java.util.Set.copyOf(running.keySet());
    }

    /** Sets how {@link #stop} reaches a peer that serves a forwarded invocation; {@link PeerRoutes.RemoteStop#NONE} until set. */
    public Gateway stopsForwardedWith(PeerRoutes.RemoteStop remote) {
        this.remoteStop = java.util.Objects.requireNonNull(remote);
        return this;
    }

    /** {@link EventIngress}'s decision: false when it answered; may rewrite the request's headers and body. */
    private boolean admitEvent(ClientConnection c, FunctionId id, FunctionVersion version, String invocationId) {
        byte[][] body = {c.request.body};
        switch (events.admit(id, version.spec(), false, c.request.headers, body)) {
            case EventIngress.Outcome.Proceed p -> {
                c.request.body = body[0];
                if (!p.remembered().isEmpty()) {
                    EventIngress ingress = events;
                    c.request.onRetryable = () -> ingress.forget(p.remembered());
                }
                return true;
            }
            case EventIngress.Outcome.Answer a when a.body() != null -> {
                c.respond(a.status(), List.of(), "application/json", a.body(), a.headers().toArray(String[]::new));
                return false;
            }
            case EventIngress.Outcome.Answer a -> {
                c.respondError(a.status(), a.error(), a.detail(), invocationId);
                return false;
            }
        }
    }

    /** Stores an async invocation off the loop; answers 202 (or the refusal) on the loop once it is durable. */
    private static void enqueue(ClientConnection c, AsyncIngress ingress, FunctionVersion version, InvocationPath path) {
        ClientRequest r = c.request;
        long gen = c.generation;
        String rest = path.rest();
        int q = rest.indexOf('?');
        ingress.accept(version, r.method, q < 0 ? rest : rest.substring(0, q), path.query(), List.copyOf(r.headers),
                r.body == null ? new byte[0] : r.body).thenAccept(a -> c.loop.execute(() -> {
                    if (c.generation == gen) {
                        switch (a) {
                            case Acceptance.Accepted ok -> c.respond(202, List.of(), "application/json", ok.body(),
                                    "location", ok.location(), "x-nest-invocation-id", ok.id());
                            case Acceptance.Rejected no -> Call.respondRefusal(c, no.status(), no.error(), no.detail());
                        }
                    }
                }));
    }

    /** Removes every header {@code name} from {@code headers} (names and values alternating); the first value. */
    static Optional<String> removeHeader(List<String> headers, String name) {
        Optional<String> first = Optional.empty();
        for (int i = 0; i < headers.size(); ) {
            if (headers.get(i).equalsIgnoreCase(name)) {
                if (first.isEmpty()) {
                    first = Optional.of(headers.get(i + 1));
                }
                headers.remove(i + 1);
                headers.remove(i);
            } else {
                i += 2;
            }
        }
        return first;
    }

    /**
     * For a token function: the caller, when it may invoke it (its {@link Caller#token()} empty when the auth does
     * not name callers); if not, answers 401 (with the challenge) or 403 and gives empty.
     */
    Optional<Caller> authorized(ClientConnection c, FunctionId id, String invocationId) {
        try {
            return Optional.of(auth.caller(header(c.request, "authorization"), id.namespace()));
        } catch (NestException e) {
            // x-nest-auth cannot come from a function (their x-nest-* headers are dropped): clients may trust it
            if (e.status() == 401) {
                c.respondError(401, e.error(), e.detail(), invocationId, "www-authenticate", InvokeAuth.CHALLENGE,
                        InvokeAuth.REQUIRED_HEADER, "token");
            } else {
                c.respondError(e.status(), e.error(), e.detail(), invocationId, InvokeAuth.REQUIRED_HEADER, "token");
            }
            return Optional.empty();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "checking the token of a call to " + id + " failed", e);
            c.respondError(500, "invocation auth failed", "the node could not check the token: " + e.getMessage(),
                    invocationId);
            return Optional.empty();
        }
    }

    /** The first value of header {@code name} (lower case), if the request has it. */
    static Optional<String> header(ClientRequest r, String name) {
        for (int i = 0; i < r.headers.size(); i += 2) {
            if (r.headers.get(i).equalsIgnoreCase(name)) {
                return Optional.of(r.headers.get(i + 1));
            }
        }
        return Optional.empty();
    }

    /** {@code headers} (names and values alternating) without {@code Authorization}. */
    static List<String> withoutAuthorization(List<String> headers) {
        List<String> kept = new ArrayList<>(headers.size());
        for (int i = 0; i < headers.size(); i += 2) {
            if (!headers.get(i).equalsIgnoreCase("authorization")) {
                kept.add(headers.get(i));
                kept.add(headers.get(i + 1));
            }
        }
        return kept;
    }

    /** A function id the gateway keeps by path prefix, with its {@code namespace/name} for the records. */
    private record Known(FunctionId id, String text) {
    }

    private static boolean forwarded(ClientRequest r) {
        for (int i = 0; i < r.headers.size(); i += 2) {
            if (r.headers.get(i).equalsIgnoreCase(PeerRoutes.FORWARDED_BY)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        if (server != null) {
            server.close().awaitUninterruptibly();
        }
        if (transport != null) {
            transport.close();
        }
    }
}
