package dev.nest.gateway;

import dev.nest.common.ErrorResponse;
import dev.nest.common.Json;
import dev.nest.common.NestException;
import dev.nest.function.FunctionVersion;
import dev.nest.function.InvocationAuth;
import dev.nest.sidecar.InstanceLeases;
import dev.nest.sidecar.InvokeException;
import dev.nest.sidecar.Lease;
import dev.nest.sidecar.Pending;
import dev.nest.store.InvocationRecord;
import java.io.IOException;
import java.net.ConnectException;
import io.netty.buffer.ByteBuf;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;

/**
 * One invocation served on this node: takes a lease from {@link InstanceLeases} (at once, or waiting on the loop
 * without blocking it until the lease arrives or the wait ends), sends the request to the instance's runtime
 * host, copies the answer back with {@code x-nest-invocation-id}, gives the lease back and records the invocation.
 *
 * <p>Deadlines: the wait for an instance is bounded by the function's {@code queue.timeout} alone; the execution
 * {@code timeout} starts when the request is sent to the instance, so a request always reaches an instance with its
 * whole timeout ahead of it (the deadline passed to the host in {@code x-nest-deadline}). The host ends an invocation
 * at that deadline itself (it answers 504, which is passed on and keeps the instance, unless the host reports the
 * instance unhealthy: then {@link Lease#answered} retires it); only when the host has not
 * answered {@link #GRACE_NANOS} after the deadline does the gateway answer 504 and recycle the instance.
 *
 * <p>Failures: an error from the leases is answered as it is, a 429 or 503 with {@code Retry-After} (the leases'
 * estimate, the same as {@code retryAfterSeconds} in the body). The request goes to another instance, once, only
 * when none of it reached the host (connection refused, {@link Upstream.NothingSent}), or when its method is
 * idempotent (GET, HEAD, OPTIONS, PUT, DELETE); otherwise an instance that fails mid-request is a 502 with the
 * invocation id, never a replay of work that may have started. A failed instance is recycled. A client that went
 * away (or sent its next request) gets nothing, but the lease is still given back and the invocation recorded.
 *
 * <p>The function sees the client's {@code Host} and the forwarding headers of {@link ForwardedHeaders}.
 *
 * <p>Threads: the loop thread of its connection only; the leases' futures resume here through
 * {@link EventLoop#execute}.
 */
final class Call implements Upstream.Callback {
    final ClientConnection c;
    final long generation;
    final FunctionVersion version;
    final String invocationId;
    /** When the wait for an instance ends ({@code queue.timeout} after dispatch), {@code System.nanoTime}. */
    final long waitDeadline;
    /**
     * How long the host may take past the deadline to answer 504 itself before the gateway answers and recycles its
     * instance: hosts end invocations at their deadline themselves, so only a host that
     * cannot (a blocked Node.js event loop, a hung process) runs into it; long enough that a host slowed by a loaded
     * machine is not taken for a broken one.
     */
    static final long GRACE_NANOS = 1_000_000_000L;
    /** The Retry-After when the leases give no estimate. */
    static final int DEFAULT_RETRY_AFTER = 1;
    /** The Retry-After of a refused async request. */
    static final int ASYNC_RETRY_AFTER = 5;
    private final InstanceLeases leases;
    final TrustedProxies trusted;
    private final String function;
    private final Consumer<InvocationRecord> records;
    private final Instant started;
    private final long t0;
    private final String rest;
    private Pending pending;
    private Lease lease;
    private long tForward;
    private boolean finished;
    private boolean retried;
    /** Stopped by {@link #stop}: its lease was recycled and it was answered; late upstream callbacks are dropped. */
    private boolean stopped;
    /** Where this call shows while it waits, runs here or is forwarded (see {@link Gateway#stop}); null: nowhere. */
    private Map<String, Call> running;
    /** The peer serving this call while it is forwarded (see {@link PeerCall}); null otherwise. */
    private PeerRoutes.Peer forwardedTo;

    /**
     * @param t0   {@code System.nanoTime} when the request was dispatched
     * @param rest the path after the function's name, with the query
     * @param function {@code version}'s function id as text ({@code namespace/name}), as the record names it
     */
    Call(ClientConnection c, FunctionVersion version, String function, String invocationId, Instant started, long t0,
         String rest, InstanceLeases leases, Consumer<InvocationRecord> records, TrustedProxies trusted) {
        this.trusted = trusted;
        this.function = function;
        this.c = c;
        this.generation = c.generation;
        this.version = version;
        this.invocationId = invocationId;
        this.started = started;
        this.t0 = t0;
        this.waitDeadline = t0 + version.spec().queue().timeout().toNanos();
        this.rest = rest;
        this.leases = leases;
        this.records = records;
    }

    private dev.nest.common.TraceContext trace;
    private Optional<String> callerSpan = Optional.empty();
    private String trigger = "http";
    /** Where the span of each recorded invocation goes ({@link Gateway#spans}); loop thread, must not block. */
    Consumer<InvocationSpan> spans = s -> { };

    /**
     * This gateway's span in the request's trace: a child of the client's valid {@code traceparent}, else a new
     * trace (a malformed one is never passed on). Made on first use; loop thread only.
     */
    dev.nest.common.TraceContext trace() {
        if (trace == null) {
            List<String> h = c.request == null ? List.of() : c.request.headers;
            Optional<dev.nest.common.TraceContext> incoming = dev.nest.common.TraceContext.incoming(h);
            callerSpan = incoming.map(dev.nest.common.TraceContext::parentId);
            trigger = InvocationSpan.trigger(h);
            trace = dev.nest.common.TraceContext.continueOrStart(incoming, java.util.concurrent.ThreadLocalRandom.current());
        }
        return trace;
    }

    /**
     * Sets this call's {@code traceparent} in {@code headers} (a list of the caller's, made by
     * {@link ForwardedHeaders#apply}, from the request's headers): the caller's {@code tracestate} stays only when
     * {@link #trace} continues the caller's trace, as {@link dev.nest.common.TraceContext#withTrace} decides.
     */
    void setTrace(List<String> headers) {
        dev.nest.common.TraceContext t = trace();
        dev.nest.common.TraceContext.setTrace(headers, t, callerSpan.isPresent());
    }

    /** The latest a peer gateway may answer: the whole wait and the whole execution timeout, from dispatch. */
    long peerDeadline() {
        return waitDeadline + version.spec().timeout().toNanos() + GRACE_NANOS;
    }

    /** Whether the client still waits for this call's answer. */
    boolean answerable() {
        return c.generation == generation;
    }

    /** The answer came from elsewhere (a peer); nothing more is to be done. */
    void finishedElsewhere() {
        finished = true;
        forwardedTo = null;
        if (running != null) {
            running.remove(invocationId, this);
        }
    }

    /** Takes an instance (waiting on the loop, not blocking it) and forwards to it. */
    void acquireAndForward() {
        Pending pending;
        try {
            pending = leases.acquireAsync(version, waitDeadline);
        } catch (NestException e) {
            fail(e);
            return;
        }
        this.pending = pending;
        Optional<Lease> now = pending.now();
        if (now.isPresent()) {
            forward(now.get());
            return;
        }
        EventLoop.Timer timer = c.loop.schedule(pending.waitUntilNanos() - System.nanoTime(), () -> {
            if (stopped) {
                return;
            }
            Optional<InvokeException> err = leases.cancel(pending);
            err.ifPresent(this::fail);
        });
        pending.later().whenComplete((l, error) -> c.loop.execute(() -> {
            timer.cancel();
            if (error != null) {
                Throwable cause = error instanceof CompletionException ce && ce.getCause() != null ? ce.getCause() : error;
                if (cause instanceof NestException ne) {
                    fail(ne);
                } else {
                    fail(502, "instance start failed", String.valueOf(cause.getMessage()));
                }
            } else if (stopped || c.closed() || !answerable()) {
                l.release();
                if (running != null) {
                    running.remove(invocationId, this);
                }
            } else {
                forward(l);
            }
        }));
    }

    /** Makes this call findable by its invocation id in {@code running} until it ends (here or at a peer). */
    void trackIn(Map<String, Call> running) {
        this.running = running;
        running.put(invocationId, this);
    }

    private void forward(Lease l) {
        lease = l;
        ClientRequest r = c.request;
        // a token function never sees its callers' Nest tokens
        List<String> headers = version.spec().auth() == InvocationAuth.TOKEN ? Gateway.withoutAuthorization(r.headers)
                : r.headers;
        headers = ForwardedHeaders.apply(headers, c.origin(trusted));
        tForward = System.nanoTime();
        setTrace(headers); // the host and the function see it
        // the whole execution timeout is ahead of the request, however long it waited for the instance
        long timeoutNanos = version.spec().timeout().toNanos();
        long deadlineEpoch = executionDeadlineEpochMillis(started, t0, tForward, version.spec().timeout());
        ByteBuf req = c.loop.hostRequests.encode(l.instance().client(), r.method, l.instance().id(), rest,
                headers, invocationId, deadlineEpoch, r.body);
        c.upstream.exchange(l.instance().client(), req, r.method.equals("HEAD"), tForward + timeoutNanos + GRACE_NANOS, this);
    }

    /**
     * Stops the invocation (see {@link Gateway#stop}); loop thread only. What happens depends on where it is
     * ({@link #stopAction}): waiting for an instance, it is withdrawn from the wait (nothing is killed); at its
     * instance, the instance is {@link Lease#stop stopped draining} (no new request, its neighbours finish, then its
     * pod stops, so the function's code ends); forwarded to a peer, nothing happens here ({@link StopAction#PEER}:
     * the gateway asks that peer, whose answer, 409, reaches the client through the forwarding). In the first two
     * cases the client gets 409 {@code invocation stopped} at once and the invocation is recorded so; whatever the
     * instance still sends is dropped.
     */
    StopAction stop(String reason) {
        StopAction action = stopAction(finished || stopped, forwardedTo != null, lease != null, pending != null);
        switch (action) {
            case WITHDRAW -> {
                stopped = true;
                leases.cancel(pending); // an instance handed over at this moment is given back (see acquireAndForward)
                String detail = "invocation " + invocationId + " of " + version.spec().id() + " was stopped ("
                        + reason + ") while it waited for an instance; nothing of it ran";
                respondError(409, "invocation stopped", detail);
                record(409, "stopped: " + detail, Map.of("queue", (System.nanoTime() - t0) / 1e6));
            }
            case DRAIN -> {
                stopped = true;
                long tDone = System.nanoTime();
                lease.stop("invocation " + invocationId + " was stopped: " + reason);
                String detail = "invocation " + invocationId + " of " + version.spec().id() + " was stopped (" + reason
                        + "); its instance takes no new request and stops once its other requests ended";
                respondError(409, "invocation stopped", detail);
                record(409, "stopped: " + detail, phases(tDone));
            }
            case PEER, NONE -> {
            }
        }
        return action;
    }

    /** What {@link #stop} does. */
    enum StopAction {
        /** Finished, stopped already, or not yet waiting: nothing. */
        NONE,
        /** Waiting for an instance: withdrawn from the wait. */
        WITHDRAW,
        /** At its instance: answered 409 now, the instance drains and stops. */
        DRAIN,
        /** Served by another node: the stop is that node's. */
        PEER
    }

    /** The decision of {@link #stop}, a pure function of where the call is (table-tested). */
    static StopAction stopAction(boolean ended, boolean forwarded, boolean leased, boolean waiting) {
        if (ended) {
            return StopAction.NONE;
        }
        if (forwarded) {
            return StopAction.PEER;
        }
        if (leased) {
            return StopAction.DRAIN;
        }
        return waiting ? StopAction.WITHDRAW : StopAction.NONE;
    }

    /** The peer this call was forwarded to, while it is; empty when it is served here or ended. */
    Optional<PeerRoutes.Peer> forwardedTo() {
        return Optional.ofNullable(finished ? null : forwardedTo);
    }

    /** {@link PeerCall} sent the call to {@code peer} (null: it comes back to be served here). */
    void forwardingTo(PeerRoutes.Peer peer) {
        forwardedTo = peer;
    }

    @Override
    public void done(UpstreamResponse resp) {
        if (stopped) { // the instance answered after all: its lease is gone, the client was answered
            resp.release();
            c.upstream.forget(lease.instance().client());
            return;
        }
        long tDone = System.nanoTime();
        String nestError = resp.headers.get(AnswerHeaders.ERROR);
        String error = nestError == null ? "" : nestError + ": " + errorDetail(resp.bodyBytes());
        String health = resp.headers.get(AnswerHeaders.HEALTH);
        lease.answered(resp.status, health == null ? "" : health); // released, or retired when the host reports the instance unhealthy
        if (answerable()) {
            c.respondInvocation(resp.status, resp.headers, resp.body, invocationId, lease.cold());
        } else {
            resp.release();
        }
        record(resp.status, error, phases(tDone));
    }

    /**
     * An invocation's answer is gathered whole, never streamed, so it may go behind another on one connection when its
     * host runs pipelined requests at the same time (its runtime's {@code pipelining}; a host that serves them in a
     * row, as the Java host does, would run this invocation only after the one before it ended).
     */
    @Override
    public boolean pipelines() {
        return lease != null && lease.instance().client().pipelines();
    }

    @Override
    public void failed(IOException e, boolean timedOut) {
        if (stopped) { // its connection broke as the pod stopped
            return;
        }
        long tDone = System.nanoTime();
        c.upstream.forget(lease.instance().client());
        if (!timedOut && !retried && answerable() && mayRetry(e, c.request.method)) {
            // nothing reached the instance (it died before its exit was noticed), or the request may be repeated
            retried = true;
            lease.recycle("instance failed invocation " + invocationId + " (" + e.getMessage() + ")");
            lease = null;
            acquireAndForward();
            return;
        }
        if (timedOut) {
            lease.recycle("invocation " + invocationId + " exceeded the timeout of " + version.spec().timeout().toMillis() + " ms");
            String detail = "function " + version.spec().id() + " did not answer within its timeout of "
                    + version.spec().timeout().toMillis() + " ms (and its host did not end it); the instance was recycled";
            respondError(504, "function timed out", detail);
            record(504, "timeout: " + detail, phases(tDone));
        } else {
            lease.recycle("invocation " + invocationId + " failed: " + e.getMessage());
            String detail = "the instance of " + version.spec().id() + " failed during invocation " + invocationId
                    + " (" + e.getMessage() + "); it was replaced. The request was not repeated because it may have "
                    + "run in part: retry it if that is safe";
            respondError(502, "instance failed", detail);
            record(502, detail, phases(tDone));
        }
    }

    /**
     * The deadline the host gets: the whole {@code timeout} from the moment the request is sent ({@code tForward}),
     * whatever time it spent waiting for the instance since it was dispatched ({@code t0}, wall time {@code started}).
     */
    static long executionDeadlineEpochMillis(Instant started, long t0, long tForward, java.time.Duration timeout) {
        return started.toEpochMilli() + Math.max(0, tForward - t0) / 1_000_000 + timeout.toMillis();
    }

    /**
     * Whether a request that failed on an instance may go to another: when none of it reached the host, or when
     * its method is idempotent (a pure decision, tested with a table).
     */
    static boolean mayRetry(IOException failure, String method) {
        if (failure instanceof ConnectException || failure instanceof Upstream.NothingSent) {
            return true;
        }
        return switch (method) {
            case "GET", "HEAD", "OPTIONS", "PUT", "DELETE" -> true;
            default -> false;
        };
    }

    /** Answers with the leases' error before any instance served the call (with its retry estimate), and records it. */
    private void fail(NestException e) {
        ErrorResponse r = ErrorResponse.of(e);
        if ((r.status() == 429 || r.status() == 503) && r.retryAfterSeconds().isEmpty()) {
            Pending p = pending;
            r = r.withRetryAfter(p == null ? DEFAULT_RETRY_AFTER : p.retryAfterSeconds(System.nanoTime(), DEFAULT_RETRY_AFTER));
        }
        fail(r);
    }

    /** Answers a refusal of admission (a rate limit, an open breaker) before any lease, and records it. */
    void refuse(ErrorResponse r) {
        fail(r);
    }

    /** Answers with an error before any instance served the call, and records it. */
    void fail(int status, String error, String detail) {
        fail(new ErrorResponse(status, error, detail));
    }

    private void fail(ErrorResponse r) {
        if (finished) {
            return;
        }
        respond(r);
        record(r.status(), r.error() + ": " + r.detail(), Map.of("queue", (System.nanoTime() - t0) / 1e6));
    }

    /**
     * Answers a refusal that comes from elsewhere than the instance leases (an async request the async queue could
     * not take) in the shape of {@link ErrorResponse}; a 429 or 503 says to come back in
     * {@link #ASYNC_RETRY_AFTER} seconds (the queue is unavailable or closing: there is no drain rate to go by).
     */
    static void respondRefusal(ClientConnection c, int status, String error, String detail) {
        ErrorResponse e = new ErrorResponse(status, error, detail);
        if (status == 429 || status == 503) {
            e = e.withRetryAfter(ASYNC_RETRY_AFTER);
        }
        c.respond(e.status(), e.headers(), "application/json", e.body());
    }

    /** Answers a refusal of an async request (a rate limit) as it is, with its {@code Retry-After}; records nothing. */
    static void respondRefusal(ClientConnection c, ErrorResponse e) {
        c.respond(e.status(), e.headers(), "application/json", e.body());
    }

    /** Answers with an error if the client still waits for it; records nothing. */
    void respondError(int status, String error, String detail) {
        respond(new ErrorResponse(status, error, detail));
    }

    private void respond(ErrorResponse r) {
        if (answerable()) {
            ErrorResponse e = r.withInvocation(invocationId);
            c.respond(e.status(), e.headers(), "application/json", e.body(), "x-nest-invocation-id", invocationId);
        }
    }

    private Map<String, Double> phases(long tDone) {
        Map<String, Double> start = lease.startPhases();
        if (start.isEmpty()) {
            return new WarmPhases(lease.queueMillis(), (tDone - tForward) / 1e6);
        }
        Map<String, Double> p = LinkedHashMap.newLinkedHashMap(2 + start.size());
        p.put("queue", lease.queueMillis());
        p.putAll(start);
        p.put("exec", (tDone - tForward) / 1e6);
        return p;
    }

    private void record(int status, String error, Map<String, Double> phases) {
        finished = true;
        if (running != null) {
            running.remove(invocationId, this);
        }
        InvocationRecord rec = new InvocationRecord(invocationId, function, version.version(),
                started, (System.nanoTime() - t0) / 1e6, status, lease != null && lease.cold(),
                lease == null ? "" : lease.instance().id(), error, phases, trace().traceId());
        records.accept(rec);
        try {
            spans.accept(new InvocationSpan(rec, trace(), callerSpan, trigger));
        } catch (RuntimeException e) {
            // tracing never fails an invocation; the exporter logs its own failures
        }
    }

    private static String errorDetail(byte[] body) {
        try {
            return Json.tree(body, "error").path("detail").asText("");
        } catch (RuntimeException e) {
            return "";
        }
    }
}
