package dev.nest.trigger.cron;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.trigger.InvocationSink;
import dev.nest.trigger.InvocationSink.RunState;
import dev.nest.trigger.StopResult;
import dev.nest.trigger.TriggerContext;
import dev.nest.trigger.TriggerEvent;
import dev.nest.trigger.TriggerException;
import dev.nest.trigger.TriggerSource;
import dev.nest.trigger.TriggerState;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One cron trigger on the leader. Each round (at each tick, and at start to catch up) it takes the trigger's stored
 * state (read from ZooKeeper at start and after any failed write; otherwise the state it wrote last), decides with {@link CronTicks} which tick is due and whether it fires, <em>claims</em> the tick with a
 * compare-and-set write fenced by the leader epoch, and only then enqueues the event on the durable async path
 * (with an idempotency key of the tick, so a retried hand-over is harmless).
 *
 * <p>Exactly once per tick across failover: a tick is enqueued only by the node whose claim succeeded, and a claim
 * succeeds once per tick (the stored last claimed tick only moves forward, and a deposed leader's write fails on
 * the epoch check). A new leader starts from the stored last claimed tick, so ticks missed in between are decided
 * by the misfire policy. The window that remains: a leader that dies after its claim and before the event is
 * durable loses that tick (it is counted neither as fired nor missed); the claim-then-enqueue order makes that the
 * only way a tick is lost and rules out a tick firing twice.
 *
 * <p>Concurrency ({@link CronTicks#admit}): the previous tick's invocation id is stored with the state in ZooKeeper
 * (so a new leader has it), and its run state read from this node's ledger. Under {@code replace} an unfinished
 * previous run, or one this node does not know, is stopped through the sink before the tick is claimed, wherever in
 * the region it is ({@code RegionStops}: withdrawn while it waits in the queue or for an instance; answered 409 and
 * its instance drained and stopped while it runs, here or on the node it was forwarded to, or on the node its id
 * names after a failover), and the tick is decided again once the stop answered: it fires when the run is over and is
 * skipped, as under {@code forbid}, when it could not be stopped or its node could not be asked, so two runs never
 * overlap; the reason shows as {@code lastSkip} in the trigger's status and in the log. Under {@code forbid} a run
 * this node does not know holds no tick back.
 *
 * <p>Failure: a fenced or refused claim (this node no longer leads) stops the source until the manager starts it
 * again; an enqueue that fails three times is logged and shown as the last error. Threads: rounds run on the
 * context's scheduler, one at a time; {@link #status} from any thread.
 */
final class CronTriggerSource implements TriggerSource {
    private static final Logger LOG = Logger.getLogger(CronTriggerSource.class.getName());
    private static final Duration RETRY = Duration.ofSeconds(1);
    private static final int ENQUEUE_ATTEMPTS = 3;
    /** How long {@code replace} waits for the previous run's cancel before deciding without it. */
    private static final Duration CANCEL_WAIT = Duration.ofSeconds(30);

    private final TriggerContext context;
    private final CronSettings settings;
    private final Object lock = new Object();
    private ScheduledFuture<?> pending;
    private volatile boolean closed;
    private volatile Optional<String> lastError = Optional.empty();
    private volatile Optional<Instant> nextRound = Optional.empty();
    private volatile boolean stopped;
    /** The previous run whose cancel ({@code concurrency: replace}) was tried last, and for which tick; rounds only. */
    private Optional<Tried> stopTried = Optional.empty();
    /** Why the last tick skipped under {@code replace} was skipped; shown in the status. */
    private volatile Optional<String> lastSkip = Optional.empty();

    /** A stop of {@code run} for {@code tick}, and what it came to (empty while it was not answered). */
    private record Tried(String run, Instant tick, Optional<StopResult> result) {
    }
    /** The state this source last wrote and its version (it is the only writer while it leads); empty: read it. */
    private final AtomicReference<Optional<Known>> known = new AtomicReference<>(Optional.empty());

    private record Known(CronState state, int version) {
    }

    CronTriggerSource(TriggerContext context, CronSettings settings) {
        this.context = context;
        this.settings = settings;
    }

    @Override
    public void start() {
        schedule(Duration.ZERO);
    }

    private void schedule(Duration delay) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            pending = context.scheduler().schedule(this::round, Math.max(0, delay.toMillis()), TimeUnit.MILLISECONDS);
        }
    }

    /** One round: decide, claim, enqueue; then wait for the next tick. */
    void round() {
        decide(Optional.empty());
    }

    /**
     * A round deciding as at {@code at} (the round after a {@code replace} cancel decides as the round that asked for
     * it, so that the time the cancel took does not make its tick late); empty: now.
     */
    private void decide(Optional<Instant> at) {
        if (closed) {
            return;
        }
        try {
            Instant now = at.orElseGet(() -> context.clock().instant());
            TriggerState state = context.state();
            Optional<Known> cached = known.get();
            Optional<TriggerState.Stored> stored = cached.isPresent() ? Optional.empty() : state.read();
            CronState current = cached.map(Known::state).orElseGet(() -> stored.map(s -> CronState.read(s.data()))
                    .orElse(null));
            int version = cached.map(Known::version).orElseGet(() -> stored.map(TriggerState.Stored::version).orElse(-1));
            if (current == null) { // a new trigger: nothing before now fires
                current = CronState.startingAt(now);
                if (!state.write(-1, current.write())) {
                    schedule(Duration.ZERO); // someone wrote first: read again
                    return;
                }
                version = 0;
                known.set(Optional.of(new Known(current, version)));
            }
            Optional<CronTicks.Due> due = CronTicks.due(settings.schedule(), settings.timezone(), current.lastClaimed(),
                    now, settings.misfire(), settings.startingDeadline());
            if (due.isPresent()) {
                CronTicks.Due d = due.get();
                Optional<String> previousRun = current.invocation();
                RunState previous = previousRun.map(context.sink()::state).orElse(RunState.FINISHED);
                Optional<StopResult> tried = previousRun.isPresent() ? stopTried.filter(t -> t.run()
                        .equals(previousRun.get()) && t.tick().equals(d.claim())).flatMap(Tried::result)
                        : Optional.empty();
                CronTicks.Admission admission = d.fire() ? CronTicks.admit(settings.concurrency(), previous,
                        tried.map(StopResult::outcome)) : CronTicks.Admission.SKIP;
                if (admission == CronTicks.Admission.REPLACE) {
                    replace(previousRun.get(), d.claim(), now);
                    return; // the round after the cancel decides (and schedules the next one)
                }
                if (d.fire() && admission == CronTicks.Admission.SKIP && tried.isPresent()) {
                    String why = "tick " + d.claim() + " skipped: the previous run " + previousRun.get()
                            + " could not be stopped (" + tried.get().outcome().name().toLowerCase().replace('_', ' ')
                            + ": " + tried.get().detail() + "), so it may still run and the tick does not overlap it";
                    lastSkip = Optional.of(why);
                    LOG.warning("cron trigger " + context.name() + " of " + context.function() + ": " + why);
                }
                boolean fire = d.fire() && admission == CronTicks.Admission.FIRE;
                int missed = d.missed() + (d.fire() && !fire ? 1 : 0);
                CronState next = current.claimed(d.claim(), fire, now, missed);
                if (!state.write(version, next.write())) {
                    known.set(Optional.empty());
                    schedule(Duration.ZERO); // another write came first: decide again on what it wrote
                    return;
                }
                known.set(Optional.of(new Known(next, version + 1)));
                if (missed > 0) {
                    LOG.info("cron trigger " + context.name() + " of " + context.function() + ": " + missed
                            + " tick(s) not fired (misfire " + settings.misfire().label() + ", concurrency "
                            + settings.concurrency().name().toLowerCase() + ")");
                }
                if (fire) {
                    enqueue(d.claim(), missed, next, version + 1, 1);
                }
            }
            Optional<Instant> following = CronTicks.next(settings.schedule(), settings.timezone(), now);
            nextRound = following;
            following.ifPresent(t -> schedule(Duration.between(context.clock().instant(), t)));
        } catch (TriggerException e) {
            known.set(Optional.empty());
            stopped = true;
            lastError = Optional.of(e.detail());
            LOG.warning("cron trigger " + context.name() + " of " + context.function() + " stops: " + e.detail());
        } catch (RuntimeException e) {
            known.set(Optional.empty());
            lastError = Optional.of(String.valueOf(e.getMessage()));
            LOG.log(Level.WARNING, "cron trigger " + context.name() + " of " + context.function()
                    + " failed a round; trying again in " + RETRY.toSeconds() + " s", e);
            schedule(RETRY);
        }
    }

    /**
     * {@code concurrency: replace}: cancels the previous run (withdrawn if it waits, stopped at its instance if it
     * runs), then decides the tick again as at {@code now}: it fires once the previous run is finished (cancelled or
     * ended by itself), and is skipped when the run could not be stopped.
     */
    private void replace(String previousRun, Instant tick, Instant now) {
        stopTried = Optional.of(new Tried(previousRun, tick, Optional.empty()));
        CompletableFuture<StopResult> stop;
        try {
            stop = context.sink().stop(previousRun, "replaced by the cron tick of " + tick + " (trigger "
                    + context.name() + ", concurrency: replace)");
        } catch (RuntimeException e) {
            stop = CompletableFuture.failedFuture(e);
        }
        // bounded: a stop that never answers must not stall the trigger (the tick is then skipped, not doubled)
        stop = stop.copy().completeOnTimeout(StopResult.of(StopResult.Outcome.UNREACHABLE, "no answer within "
                + CANCEL_WAIT.toSeconds() + " s"), CANCEL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        stop.whenCompleteAsync((result, error) -> {
            StopResult r = error != null ? StopResult.of(StopResult.Outcome.NOT_STOPPED, "stopping failed: "
                    + error.getMessage()) : result;
            stopTried = Optional.of(new Tried(previousRun, tick, Optional.of(r)));
            if (r.outcome() == StopResult.Outcome.STOPPED) {
                LOG.info("cron trigger " + context.name() + " of " + context.function() + ": the previous run "
                        + previousRun + " was stopped for tick " + tick + " (" + r.detail() + ")");
            }
            decide(Optional.of(now));
        }, context.scheduler());
    }

    private void enqueue(Instant tick, int missed, CronState claimed, int version, int attempt) {
        // completes on the queue's writer thread: the ZooKeeper write below goes to the scheduler
        context.sink().enqueue(context.function(), event(tick, missed)).whenCompleteAsync((id, error) -> {
            if (error == null) {
                recordInvocation(id, version);
                return;
            }
            if (attempt < ENQUEUE_ATTEMPTS && !closed) {
                context.scheduler().schedule(() -> enqueue(tick, missed, claimed, version, attempt + 1),
                        RETRY.toMillis(), TimeUnit.MILLISECONDS);
                return;
            }
            lastError = Optional.of("tick " + tick + " was claimed but could not be enqueued: " + error.getMessage());
            LOG.log(Level.SEVERE, "cron trigger " + context.name() + " of " + context.function() + ": "
                    + lastError.get(), error);
        }, context.scheduler());
    }

    /**
     * Best effort: stores the tick's invocation id so that {@code concurrency: forbid} can see the run; skipped when a
     * newer round has written since (the version moved on).
     */
    private void recordInvocation(String id, int version) {
        Optional<Known> now = known.get();
        if (closed || now.isEmpty() || now.get().version() != version) {
            return;
        }
        CronState withId = now.get().state().withInvocation(id);
        try {
            if (context.state().write(version, withId.write())) {
                known.compareAndSet(now, Optional.of(new Known(withId, version + 1)));
            } else {
                known.set(Optional.empty());
            }
        } catch (RuntimeException e) {
            known.set(Optional.empty());
            LOG.log(Level.FINE, "recording the invocation id of a cron tick", e);
        }
    }

    /** The event of one tick: a CloudEvent in structured mode whose data is the configured payload. */
    TriggerEvent event(Instant tick, int missed) {
        ObjectNode ce = JsonNodeFactory.instance.objectNode();
        ce.put("specversion", "1.0");
        ce.put("id", context.function() + "/" + context.name() + "/" + tick.toEpochMilli());
        ce.put("source", "/nest/functions/" + context.function().namespace() + "/" + context.function().name()
                + "/triggers/" + context.name());
        ce.put("type", CronTriggerProvider.EVENT_TYPE);
        ce.put("time", tick.toString());
        ce.put("datacontenttype", "application/json");
        ce.put("nestschedule", settings.schedule().toString());
        ce.put("nestmissed", missed);
        ce.set("data", settings.payload().orElse(JsonNodeFactory.instance.nullNode()));
        return new TriggerEvent("application/cloudevents+json", ce.toString().getBytes(StandardCharsets.UTF_8),
                List.of(), Optional.of("cron:" + context.name() + ":" + tick.toEpochMilli()));
    }

    @Override
    public ObjectNode status() {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("active", !stopped && !closed);
        nextRound.ifPresent(t -> n.put("nextRound", t.toString()));
        lastError.ifPresent(e -> n.put("lastError", e));
        lastSkip.ifPresent(e -> n.put("lastSkip", e));
        return n;
    }

    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            if (pending != null) {
                pending.cancel(false);
            }
        }
    }
}
