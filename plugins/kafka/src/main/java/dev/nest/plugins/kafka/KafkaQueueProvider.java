package dev.nest.plugins.kafka;

import dev.nest.async.AsyncException;
import dev.nest.async.EventQueue;
import dev.nest.async.EventQueueProvider;
import dev.nest.async.QueueContext;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * {@code async.queue: kafka}: validates {@code async.kafka:}, creates the events topic and the compacted ledger
 * topic when they are missing ({@code partitions}, {@code replication}, {@code min.insync.replicas} 2 when
 * replicated), sets the share group's {@code share.auto.offset.reset} to {@code earliest} (so events enqueued
 * before any node consumed are delivered) and its lock time, then opens a {@link KafkaEventQueue}.
 *
 * <p>Failure: wrong settings throw {@link IllegalArgumentException} naming the key; brokers that cannot be reached
 * within 60 s, or that refuse to create the topics or set the group's configuration (share groups off, a lock
 * time above the broker's maximum), throw {@link AsyncException} saying what to change.
 */
public final class KafkaQueueProvider implements EventQueueProvider {
    private static final Logger LOG = Logger.getLogger(KafkaQueueProvider.class.getName());

    @Override
    public String name() {
        return "kafka";
    }

    @Override
    public EventQueue open(QueueContext context) {
        KafkaQueueSettings s = KafkaQueueSettings.parse(context.settings());
        // Kafka's clients load classes named in their configuration through the context class loader; its
        // threads, started here, inherit it
        Thread t = Thread.currentThread();
        ClassLoader previous = t.getContextClassLoader();
        t.setContextClassLoader(KafkaQueueProvider.class.getClassLoader());
        try {
            prepare(s);
            return KafkaEventQueue.open(s, context.nodeId(), context.clock(), context.wake());
        } finally {
            t.setContextClassLoader(previous);
        }
    }

    /** Creates what is missing: both topics, and the share group's configuration. */
    static void prepare(KafkaQueueSettings s) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, s.bootstrapServers());
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "60000");
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        try (Admin admin = Admin.create(p)) {
            String isr = String.valueOf(Math.min(2, s.replication()));
            List<NewTopic> topics = List.of(
                    new NewTopic(s.topic(), s.partitions(), (short) s.replication())
                            .configs(Map.of("min.insync.replicas", isr)),
                    new NewTopic(s.ledgerTopic(), s.partitions(), (short) s.replication())
                            .configs(Map.of("min.insync.replicas", isr, "cleanup.policy", "compact")));
            for (NewTopic t : topics) {
                try {
                    admin.createTopics(List.of(t)).all().get(60, TimeUnit.SECONDS);
                    LOG.info("created Kafka topic " + t.name() + " (" + s.partitions() + " partitions, replication "
                            + s.replication() + ")");
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw fail("cannot create the topic " + t.name() + " (partitions " + s.partitions()
                                + ", replication " + s.replication() + "; lower async.kafka.replication on a smaller "
                                + "cluster)", e.getCause());
                    }
                }
            }
            Collection<AlterConfigOp> ops = new ArrayList<>();
            ops.add(new AlterConfigOp(new ConfigEntry("share.auto.offset.reset", "earliest"), AlterConfigOp.OpType.SET));
            s.lockTime().ifPresent(l -> ops.add(new AlterConfigOp(new ConfigEntry("share.record.lock.duration.ms",
                    String.valueOf(l.toMillis())), AlterConfigOp.OpType.SET)));
            try {
                admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.GROUP, s.group()), ops))
                        .all().get(60, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                throw fail("cannot configure the share group " + s.group() + " (share groups need Kafka 4.2 or newer "
                        + "with share.version 1; async.kafka.lock-time must not exceed the brokers' "
                        + "group.share.max.record.lock.duration.ms)", e.getCause());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw fail("interrupted while preparing the Kafka topics", e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw fail("the Kafka brokers " + s.bootstrapServers() + " did not answer within 60 s", e);
        }
    }

    private static AsyncException fail(String what, Throwable cause) {
        return new AsyncException(503, "async queue unavailable", "async.queue kafka: " + what + ": "
                + (cause == null ? "" : cause.getMessage()), cause);
    }
}
