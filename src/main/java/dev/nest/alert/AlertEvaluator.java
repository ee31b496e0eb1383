package dev.nest.alert;

import dev.nest.common.Ticker;
import dev.nest.function.FunctionId;
import dev.nest.report.Report;
import dev.nest.report.ReportWindow;
import dev.nest.report.Scope;
import dev.nest.trigger.TriggerStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The leader's alert loop: every {@link #INTERVAL} while this node leads, each rule's metric is observed (from the
 * region's report, the function's dead letters, or its cron triggers' views), judged by {@link AlertJudgement}, a
 * changed state stored, and the message it calls for handed to {@link Webhooks}. A state is kept in memory and in the
 * store, so a message is sent once per firing and once per resolution, and a new leader carries on from the stored
 * states without repeating one.
 *
 * <p>Failure: a metric that cannot be observed (a report or trigger view that fails) leaves the rule's state as it
 * is; a report from part of the region is judged as it is and the message says so. A state that cannot be stored is
 * logged and kept in memory. Threads: one platform thread, {@code nest-alerts}; {@link #round} also by tests.
 */
public final class AlertEvaluator implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(AlertEvaluator.class.getName());
    public static final Duration INTERVAL = Duration.ofSeconds(15);

    /** Dead letters of a function ({@code namespace/name}) that ended at or after {@code since}. */
    @FunctionalInterface
    public interface DeadLetters {
        long since(String function, Instant since);
    }

    private final AlertStore store;
    private final BiFunction<Scope, ReportWindow, Report> reports;
    private final DeadLetters deadLetters;
    private final Function<FunctionId, List<TriggerStatus>> triggers;
    private final Webhooks webhooks;
    private final BooleanSupplier leads;
    private final Clock clock;
    private final Map<String, AlertStatus> known = new ConcurrentHashMap<>();
    private final Ticker ticker;
    private boolean led;

    /**
     * @param reports     the region's report of a scope over a window
     * @param deadLetters the dead letters of a function
     * @param triggers    the trigger views of a function
     * @param leads       whether this node leads now
     */
    public AlertEvaluator(AlertStore store, BiFunction<Scope, ReportWindow, Report> reports, DeadLetters deadLetters,
                          Function<FunctionId, List<TriggerStatus>> triggers, Webhooks webhooks, BooleanSupplier leads,
                          Clock clock) {
        this.store = store;
        this.reports = reports;
        this.deadLetters = deadLetters;
        this.triggers = triggers;
        this.webhooks = webhooks;
        this.leads = leads;
        this.clock = clock;
        this.ticker = new Ticker("nest-alerts", INTERVAL, this::round, e -> LOG.log(Level.WARNING, "alert round failed", e));
    }

    public void start() {
        ticker.start();
    }

    /** One round: judges every rule when this node leads. */
    public void round() {
        if (!leads.getAsBoolean()) {
            if (led) {
                known.clear(); // a later leadership starts again from the store
                led = false;
            }
            return;
        }
        led = true;
        Instant now = clock.instant();
        Map<String, AlertStatus> stored = store.states();
        Map<String, Report> roundReports = new HashMap<>();
        List<AlertRule> rules = store.rules();
        known.keySet().retainAll(rules.stream().map(AlertRule::name).toList());
        for (AlertRule rule : rules) {
            AlertStatus before = known.computeIfAbsent(rule.name(),
                    n -> stored.getOrDefault(n, AlertStatus.initial(n, now)));
            Observation o = observe(rule, now, roundReports);
            AlertJudgement.Step step = AlertJudgement.judge(before, o.value(), rule.threshold(), o.detail(), now);
            if (step.next() != before) {
                known.put(rule.name(), step.next());
                try {
                    store.state(step.next());
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "alert " + rule.name() + ": cannot store state " + step.next().state().label()
                            + " (kept in memory)", e);
                }
            }
            if (step.send() != AlertJudgement.Send.NOTHING) {
                webhooks.send(new Notification(rule, step.next(), now));
            }
        }
    }

    record Observation(Optional<Double> value, String detail) {
    }

    private Observation observe(AlertRule rule, Instant now, Map<String, Report> cache) {
        try {
            return switch (rule.metric()) {
                case DEAD_LETTERS -> new Observation(Optional.of((double) deadLetters.since(
                        rule.namespace() + "/" + rule.function().orElseThrow(), now.minus(rule.over().length()))), "");
                case CRON_STALLED -> cron(rule, now);
                default -> {
                    Report r = cache.computeIfAbsent(rule.scope().name() + " " + rule.over().label(),
                            k -> reports.apply(rule.scope(), rule.over()));
                    Report.Totals t = r.totals();
                    double v = switch (rule.metric()) {
                        case ERROR_RATE -> t.errorRate();
                        case ERRORS -> t.errors();
                        case THROTTLES -> t.throttles();
                        case P50 -> t.p50();
                        case P95 -> t.p95();
                        case P99 -> t.p99();
                        case COLD_START_RATE -> t.coldStartRate();
                        default -> throw new IllegalStateException(rule.metric().key());
                    };
                    yield new Observation(Optional.of(v), r.partial() ? "partial report: no answer from "
                            + r.unreachable() : "");
                }
            };
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "alert " + rule.name() + ": cannot observe " + rule.metric().key(), e);
            return new Observation(Optional.empty(), "");
        }
    }

    private Observation cron(AlertRule rule, Instant now) {
        FunctionId id = FunctionId.of(rule.namespace(), rule.function().orElseThrow());
        Optional<Double> worst = Optional.empty();
        String which = "";
        for (TriggerStatus t : triggers.apply(id)) {
            if (!t.type().equals("cron") || rule.trigger().filter(n -> !n.equals(t.name())).isPresent()) {
                continue;
            }
            Optional<Duration> late = CronStall.overdue(t.details(), now);
            if (late.isPresent() && (worst.isEmpty() || late.get().toMillis() > worst.get())) {
                worst = Optional.of((double) late.get().toMillis());
                which = "trigger " + t.name() + (late.get().isZero() ? " fires on time" : " last fired "
                        + t.details().path("lastFire").asText("never"));
            }
        }
        return new Observation(worst, which);
    }

    /** The state of {@code name}: this leader's when it judged it, else the stored one. */
    public Optional<AlertStatus> status(String name) {
        return Optional.ofNullable(known.get(name)).or(() -> Optional.ofNullable(store.states().get(name)));
    }

    @Override
    public void close() {
        ticker.close();
    }
}
