package dev.nest.namespace;

/**
 * Why a start, placement or deploy was refused for a namespace's quota: which quota, its limit, what the namespace
 * holds and what was asked. {@link #detail()} is the message users see (a 429 on invocation, a 409 on deploy).
 *
 * @param namespace the namespace
 * @param key       {@code quota.instances} or {@code quota.memory}
 * @param limit     the limit, as text ("2", "8Gi")
 * @param used      what the namespace holds now, as text
 * @param asked     what the refused action needs on top, as text
 * @param action    what was refused, in words ("starting an instance of shop/cart")
 */
public record QuotaExceeded(String namespace, String key, String limit, String used, String asked, String action) {
    /** Seconds a client is told to wait before retrying an invocation refused for a quota. */
    public static final int RETRY_AFTER_SECONDS = 30;

    /** The short error name of a refusal. */
    public static final String ERROR = "namespace quota exceeded";

    /** The user's message: the quota, its limit and usage, and how to raise it. */
    public String detail() {
        String flag = key.equals(NamespaceSettings.QUOTA_INSTANCES) ? "--max-instances N" : "--max-memory SIZE";
        return action + " would exceed " + key + " of namespace '" + namespace + "': limit " + limit + ", in use "
                + used + ", needs " + asked + " more. Idle instances free their share when they stop; an admin raises "
                + "the quota with: nest ns set " + namespace + " " + flag + " (PUT /api/v1/namespaces/" + namespace + ")";
    }
}
