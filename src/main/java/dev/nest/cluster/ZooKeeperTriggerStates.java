package dev.nest.cluster;

import dev.nest.function.FunctionId;
import dev.nest.trigger.TriggerException;
import dev.nest.trigger.TriggerState;
import dev.nest.trigger.TriggerStateStore;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * Triggers' stored state in {@code triggers/<ns>/<name>/<trigger>} of the region's tree. A write is one transaction:
 * a check that the region's epoch is still the one this node claimed as leader, and a create (expected version -1)
 * or a set with the expected data version. So a tick is claimed once: by the leader, once per stored version, and
 * never by a leader a newer one has deposed.
 *
 * <p>Failure: not leading, an epoch that moved on, an unreachable ZooKeeper or a state over
 * {@link TriggerState#MAX_BYTES} throw a {@link TriggerException} (503, or 400 for size); a version that moved on
 * gives {@code false}. Reads and writes block on ZooKeeper. Thread-safe. The state of a deleted function's trigger
 * stays until the function is created again (a few bytes each).
 */
final class ZooKeeperTriggerStates implements TriggerStateStore {
    private final CuratorFramework client;
    private final ZooKeeperPaths paths;
    private final Leadership leadership;
    private final Supplier<Cluster.State> connection;

    ZooKeeperTriggerStates(CuratorFramework client, ZooKeeperPaths paths, Leadership leadership,
                           Supplier<Cluster.State> connection) {
        this.client = client;
        this.paths = paths;
        this.leadership = leadership;
        this.connection = connection;
    }

    @Override
    public TriggerState of(FunctionId function, String trigger) {
        String path = paths.trigger(function, trigger);
        return new TriggerState() {
            @Override
            public Optional<Stored> read() {
                try {
                    Stat stat = new Stat();
                    byte[] data = client.getData().storingStatIn(stat).forPath(path);
                    return Optional.of(new Stored(data == null ? new byte[0] : data, stat.getVersion()));
                } catch (KeeperException.NoNodeException none) {
                    return Optional.empty();
                } catch (Exception e) {
                    throw new TriggerException(503, "trigger state unavailable", "cannot read " + path + ": "
                            + e.getMessage(), e);
                }
            }

            @Override
            public boolean write(int expectedVersion, byte[] data) {
                return compareAndSet(path, expectedVersion, data);
            }
        };
    }

    private boolean compareAndSet(String path, int expectedVersion, byte[] data) {
        if (data.length > TriggerState.MAX_BYTES) {
            throw new TriggerException(400, "trigger state too large", data.length + " bytes; at most "
                    + TriggerState.MAX_BYTES, null);
        }
        Optional<Integer> epoch = leadership.epoch();
        if (epoch.isEmpty() || connection.get() != Cluster.State.CONNECTED) {
            throw new TriggerException(503, "not the leader", (epoch.isEmpty() ? "this node does not lead its region"
                    : "ZooKeeper is " + connection.get()) + "; only the leader writes trigger state", null);
        }
        try {
            if (expectedVersion < 0) {
                client.createContainers(path.substring(0, path.lastIndexOf('/')));
                client.transaction().forOperations(
                        client.transactionOp().check().withVersion(epoch.get()).forPath(paths.epoch()),
                        client.transactionOp().create().forPath(path, data));
            } else {
                client.transaction().forOperations(
                        client.transactionOp().check().withVersion(epoch.get()).forPath(paths.epoch()),
                        client.transactionOp().setData().withVersion(expectedVersion).forPath(path, data));
            }
            return true;
        } catch (KeeperException.NodeExistsException | KeeperException.NoNodeException raced) {
            return fencedOr(epoch.get(), raced);
        } catch (KeeperException.BadVersionException bad) {
            return fencedOr(epoch.get(), bad);
        } catch (Exception e) {
            throw new TriggerException(503, "trigger state unavailable", "cannot write " + path + ": "
                    + e.getMessage(), e);
        }
    }

    /** After a failed transaction: throws when the epoch moved on (fenced), else false (the state's version moved). */
    private boolean fencedOr(int epoch, Exception cause) {
        try {
            Stat s = client.checkExists().forPath(paths.epoch());
            if (s == null || s.getVersion() != epoch) {
                throw new TriggerException(503, "fenced off", "the region's leader epoch moved past " + epoch
                        + "; another node leads now and this one stops leader-only work", cause);
            }
        } catch (TriggerException e) {
            throw e;
        } catch (Exception e) {
            throw new TriggerException(503, "trigger state unavailable", e.getMessage(), e);
        }
        return false;
    }
}
