package dev.nest.gateway;

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
import java.nio.ByteBuffer;
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
 * <p>Failures: an error from the leases (429, 503, a failed start) is answered as it is; no answer by the
 * function's timeout is a 504 and the instance is recycled; an instance that fails mid-request is a 502 and is
 * recycled; an instance that refused the connection (nothing was sent) is recycled and the call takes another
 * lease, once. A client that went away (or sent its next request) gets nothing, but the lease is still given
 * back and the invocation recorded.
 *
 * <p>Threads: the loop thread of its connection only; the leases' futures resume here through
 * {@link EventLoop#execute}.
 */
final class Call implements Upstream.Callback {
    final ClientConnection c;
    final long generation;
    final FunctionVersion version;
    final String invocationId;
    final long deadline;
    private final InstanceLeases leases;
    private final Consumer<InvocationRecord> records;
    private final Instant started;
    private final long t0;
    private final long deadlineEpoch;
    private final String rest;
    private Lease lease;
    private long tForward;
    private boolean finished;
    private boolean retried;

    /**
     * @param t0   {@code System.nanoTime} when the request was dispatched
     * @param rest the path after the function's name, with the query
     */
    Call(ClientConnection c, FunctionVersion version, String invocationId, Instant started, long t0, String rest,
         InstanceLeases leases, Consumer<InvocationRecord> records) {
        this.c = c;
        this.generation = c.generation;
        this.version = version;
        this.invocationId = invocationId;
        this.started = started;
        this.t0 = t0;
        this.deadline = t0 + version.spec().timeout().toNanos();
        this.deadlineEpoch = started.toEpochMilli() + version.spec().timeout().toMillis();
        this.rest = rest;
        this.leases = leases;
        this.records = records;
    }

    /** Whether the client still waits for this call's answer. */
    boolean answerable() {
        return c.generation == generation;
    }

    /** The answer came from elsewhere (a peer); nothing more is to be done. */
    void finishedElsewhere() {
        finished = true;
    }

    /** Takes an instance (waiting on the loop, not blocking it) and forwards to it. */
    void acquireAndForward() {
        Pending pending;
        try {
            pending = leases.acquireAsync(version, deadline);
        } catch (NestException e) {
            fail(e.status(), e.error(), e.detail());
            return;
        }
        Optional<Lease> now = pending.now();
        if (now.isPresent()) {
            forward(now.get());
            return;
        }
        EventLoop.Timer timer = c.loop.schedule(pending.waitUntilNanos() - System.nanoTime(), () -> {
            Optional<InvokeException> err = leases.cancel(pending);
            err.ifPresent(e -> fail(e.status(), e.error(), e.detail()));
        });
        pending.later().whenComplete((l, error) -> c.loop.execute(() -> {
            timer.cancel();
            if (error != null) {
                Throwable cause = error instanceof CompletionException ce && ce.getCause() != null ? ce.getCause() : error;
                if (cause instanceof NestException ne) {
                    fail(ne.status(), ne.error(), ne.detail());
                } else {
                    fail(502, "instance start failed", String.valueOf(cause.getMessage()));
                }
            } else if (c.closed() || !answerable()) {
                l.release();
            } else {
                forward(l);
            }
        }));
    }

    private void forward(Lease l) {
        lease = l;
        HttpRequestParser r = c.request;
        // a token function never sees its callers' Nest tokens
        List<String> headers = version.spec().auth() == InvocationAuth.TOKEN ? Gateway.withoutAuthorization(r.headers)
                : r.headers;
        ByteBuffer[] req = l.instance().client().encodeInvocation(r.method, "/invoke/" + l.instance().id() + rest,
                headers, invocationId, deadlineEpoch, r.body);
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
        if (answerable()) {
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
        if (!timedOut && e instanceof ConnectException && !retried && tDone < deadline) {
            // nothing reached the instance (it died before its exit was noticed): another one may serve it
            retried = true;
            lease.recycle("instance refused the connection for invocation " + invocationId);
            lease = null;
            acquireAndForward();
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

    /** Answers with an error before any instance served the call, and records it. */
    void fail(int status, String error, String detail) {
        if (finished) {
            return;
        }
        respondError(status, error, detail);
        record(status, error + ": " + detail, Map.of("queue", (System.nanoTime() - t0) / 1e6));
    }

    /** Answers with an error if the client still waits for it; records nothing. */
    void respondError(int status, String error, String detail) {
        if (answerable()) {
            c.respondError(status, error, detail, invocationId);
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

    private static String errorDetail(byte[] body) {
        try {
            return Json.tree(body, "error").path("detail").asText("");
        } catch (RuntimeException e) {
            return "";
        }
    }
}
