package dev.nest.sidecar;

import dev.nest.function.FunctionSpec;
import dev.nest.namespace.NamespaceQuota;
import dev.nest.namespace.NamespaceUsage;
import dev.nest.namespace.QuotaCheck;
import dev.nest.namespace.QuotaExceeded;
import dev.nest.namespace.Quotas;
import dev.nest.namespace.UsageSource;
import java.util.Optional;

/**
 * The node agent's side of the namespace quotas: before instances start, it counts what the namespace holds in the
 * region (this node's instances, ready and starting, plus what the other nodes last published through the
 * {@link UsageSource}) and admits only the starts that fit ({@link QuotaCheck}).
 *
 * <p>Decisions are serialized on this object, so two starts on this node never share the namespace's last slot;
 * each start is already counted as starting by its set, so when two race for the last slot both may be refused
 * (never both admitted). Starts on different nodes at the same moment can each see the other's not yet published
 * and go over by as many instances as nodes started at once, until the scheduler and the scaler bring the count back
 * under the quota. A namespace without a quota costs one map lookup.
 *
 * <p>Threads: called by {@link ColdStart#launch} on request threads and the reconcile thread.
 */
final class QuotaGate {
    private final NodeInstances sets;
    private volatile Quotas quotas = Quotas.NONE;
    private volatile UsageSource elsewhere = UsageSource.NONE;

    /** How many of the starts asked for may go ahead, and the refusal of the others. */
    record Admission(int allowed, Optional<QuotaExceeded> refusal) {
    }

    QuotaGate(NodeInstances sets) {
        this.sets = sets;
    }

    void use(Quotas quotas, UsageSource elsewhere) {
        this.quotas = quotas;
        this.elsewhere = elsewhere;
    }

    /** Whether {@code n} starts for {@code set} (counted by it as starting already) fit the namespace's quota. */
    Admission admit(InstanceSet set, int n) {
        FunctionSpec spec = set.version().spec();
        String ns = spec.id().namespace();
        NamespaceQuota quota = quotas.quota(ns);
        if (n <= 0 || !quota.limited()) {
            return new Admission(Math.max(0, n), Optional.empty());
        }
        synchronized (this) {
            NamespaceUsage before = local(ns).minus(n, spec.memoryMb()).plus(elsewhere.usage(ns));
            int allowed = QuotaCheck.cap(quota, before, spec.memoryMb(), n);
            Optional<QuotaExceeded> refusal = QuotaCheck.admit(ns, quota, before.plus(allowed, spec.memoryMb()),
                    n - allowed, spec.memoryMb(), "starting an instance of " + spec.id());
            return new Admission(allowed, refusal);
        }
    }

    /** This node's instances of {@code ns}, ready or starting, and their memory. */
    private NamespaceUsage local(String ns) {
        NamespaceUsage u = NamespaceUsage.NONE;
        for (InstanceSet s : sets.all()) {
            FunctionSpec spec = s.version().spec();
            if (spec.id().namespace().equals(ns)) {
                u = u.plus(s.readyCount() + s.starting(), spec.memoryMb());
            }
        }
        return u;
    }
}
