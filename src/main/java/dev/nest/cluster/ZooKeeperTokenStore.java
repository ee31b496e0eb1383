package dev.nest.cluster;

import dev.nest.auth.LastUsedThrottle;
import dev.nest.auth.NewToken;
import dev.nest.auth.Principal;
import dev.nest.auth.StoredToken;
import dev.nest.auth.TokenInfo;
import dev.nest.auth.TokenMirror;
import dev.nest.auth.TokenSecret;
import dev.nest.auth.TokenStore;
import dev.nest.common.NestException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * The region's API tokens in ZooKeeper: one persistent node per token, {@code /nest/<region>/tokens/<name>}, holding
 * its {@link StoredToken} JSON (the secret's SHA-256, never the secret). A {@link CuratorCache} on the subtree keeps a
 * {@link TokenMirror} in memory on every node, so {@link #authenticate} never waits for ZooKeeper and a revocation
 * reaches every node as soon as its watch fires (milliseconds while ZooKeeper is reachable).
 *
 * <p>Writes: {@link #create} and {@link #revoke} write ZooKeeper and then wait (at most the operation timeout) until
 * this node's mirror shows the change, so that a caller can use or stop using the token on this node at once. A
 * token's last use is written at most once a minute per token per node ({@link LastUsedThrottle}), on this store's
 * own thread, never on the request path; such a write changes only {@code lastUsedAt}, is conditional on the node's
 * version and never recreates a revoked token.
 *
 * <p>Under failure: while ZooKeeper is unreachable, authentication keeps answering from the last known mirror (a
 * revocation made elsewhere meanwhile is seen after reconnection), creating and revoking fail with a
 * {@link ClusterException} (503) after the operation timeout, and last-used writes are dropped. An unreadable token
 * node is logged and not accepted.
 *
 * <p>Lifecycle: {@link #start} loads the subtree and returns once the mirror holds it; {@link #close} stops the watch
 * and the writer. Thread-safe.
 */
public final class ZooKeeperTokenStore implements TokenStore, AutoCloseable {
    /** The tokens' subtree below the region's root ({@code /nest/<region>}). */
    static final String TOKENS = "tokens";
    private static final Logger LOG = Logger.getLogger(ZooKeeperTokenStore.class.getName());

    private final CuratorFramework client;
    private final String path;
    private final Clock clock;
    private final Duration opTimeout;
    private final LastUsedThrottle throttle;
    private final CuratorCache cache;
    private final TokenMirror mirror = new TokenMirror();
    private final MirrorChanges changes;
    private final BoundedWrites writes;
    private final ExecutorService writer = Executors.newSingleThreadExecutor(
            r -> Thread.ofPlatform().daemon().name("nest-token-last-used").unstarted(r));

    /**
     * @param path      the tokens' subtree, {@code /nest/<region>/tokens}
     * @param opTimeout how long a create or revoke may take
     */
    ZooKeeperTokenStore(CuratorFramework client, String path, Clock clock, Duration opTimeout, LastUsedThrottle throttle) {
        this.client = client;
        this.path = path;
        this.clock = clock;
        this.opTimeout = opTimeout;
        this.writes = new BoundedWrites(opTimeout, "nest-zk-token-write");
        this.changes = new MirrorChanges(path, opTimeout, System::nanoTime);
        this.throttle = throttle;
        this.cache = CuratorCache.build(client, path);
    }

    /**
     * The tokens of {@code cluster}'s region, loaded.
     *
     * @param operationTimeout {@code cluster.operation-timeout}: the most a load, create or revoke may take
     * @throws ClusterException when the tokens cannot be loaded within it
     */
    public static ZooKeeperTokenStore start(Cluster cluster, Clock clock, Duration operationTimeout) {
        ZooKeeperTokenStore store = new ZooKeeperTokenStore(cluster.client(), cluster.paths().root() + "/" + TOKENS,
                clock, operationTimeout, new LastUsedThrottle());
        store.start();
        return store;
    }

    /** Starts the watch and returns once the mirror holds every token. */
    void start() {
        try {
            client.createContainers(path);
            Cluster.primed(cache, CuratorCacheListener.builder()
                    .forCreatesAndChanges((before, now) -> onData(now))
                    .forDeletes(this::onDelete), "token", opTimeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new ClusterException("interrupted while loading the API tokens", e);
        } catch (Exception e) {
            close();
            throw new ClusterException("cannot load the API tokens from " + path + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        cache.close();
        writer.shutdown();
    }

    // ---- read side -------------------------------------------------------------------------------------

    @Override
    public Optional<Principal> authenticate(TokenSecret secret) {
        Instant now = clock.instant();
        Optional<StoredToken> token = mirror.authenticate(secret, now);
        token.ifPresent(t -> {
            if (throttle.due(t.name(), now)) {
                try {
                    writer.execute(() -> recordUse(t, now));
                } catch (RejectedExecutionException closed) {
                    // closing: the use is not recorded
                }
            }
        });
        return token.map(StoredToken::principal);
    }

    @Override
    public List<TokenInfo> list() {
        return mirror.all().stream().map(StoredToken::info).toList();
    }

    private void onData(ChildData data) {
        Optional<String> name = changes.childName(data.getPath());
        if (name.isEmpty()) {
            return;
        }
        try {
            StoredToken t = StoredToken.fromJson(data.getData());
            if (!t.name().equals(name.get())) {
                throw new IllegalArgumentException("it holds token '" + t.name() + "'");
            }
            mirror.put(t);
        } catch (RuntimeException e) {
            mirror.remove(name.get());
            LOG.log(Level.WARNING, "refusing token node " + data.getPath() + ": " + e.getMessage());
        }
        changes.changed();
    }

    private void onDelete(ChildData data) {
        changes.childName(data.getPath()).ifPresent(name -> {
            mirror.remove(name);
            throttle.forget(name);
        });
        changes.changed();
    }

    // ---- write side ------------------------------------------------------------------------------------

    @Override
    public TokenInfo create(NewToken request, TokenSecret secret) {
        StoredToken token = StoredToken.issue(request, secret, clock.instant());
        String node = path + "/" + token.name();
        try {
            writes.within(() -> client.create().forPath(node, token.toJson()));
        } catch (KeeperException.NodeExistsException e) {
            throw NestException.conflict("a token named '" + token.name() + "' exists; choose another name, or revoke "
                    + "it first (DELETE /api/v1/tokens/" + token.name() + ")");
        } catch (Exception e) {
            throw writes.failure("create token '" + token.name() + "'", e);
        }
        if (!changes.await(() -> mirror.get(token.name()).filter(t -> t.sha256().equals(token.sha256())).isPresent())) {
            LOG.warning("token '" + token.name() + "' is stored but this node's mirror has not shown it within "
                    + opTimeout.toMillis() + " ms");
        }
        return token.info();
    }

    @Override
    public void revoke(String name) {
        if (!NewToken.validName(name)) {
            throw NestException.notFound("token", "no token named '" + name + "'; see GET /api/v1/tokens");
        }
        try {
            writes.within(() -> client.delete().forPath(path + "/" + name));
        } catch (KeeperException.NoNodeException e) {
            throw NestException.notFound("token", "no token named '" + name + "'; see GET /api/v1/tokens");
        } catch (Exception e) {
            throw writes.failure("revoke token '" + name + "'", e);
        }
        if (!changes.await(() -> mirror.get(name).isEmpty())) {
            LOG.warning("token '" + name + "' is revoked but this node's mirror has not shown it within "
                    + opTimeout.toMillis() + " ms");
        }
    }

    /** Writes {@code at} as the token's last use, unless the token was revoked, replaced or used later meanwhile. */
    private void recordUse(StoredToken used, Instant at) {
        String node = path + "/" + used.name();
        try {
            Stat stat = new Stat();
            StoredToken stored = StoredToken.fromJson(client.getData().storingStatIn(stat).forPath(node));
            if (!stored.sha256().equals(used.sha256())
                    || stored.lastUsedAt().filter(last -> !last.isBefore(at)).isPresent()) {
                return;
            }
            client.setData().withVersion(stat.getVersion()).forPath(node, stored.withLastUsed(at).toJson());
        } catch (KeeperException.NoNodeException | KeeperException.BadVersionException e) {
            // revoked, or changed by another node meanwhile: nothing to record
        } catch (Exception e) {
            LOG.log(Level.FINE, "cannot record the use of token '" + used.name() + "': " + e.getMessage(), e);
        }
    }
}
