package dev.nest.auth;

/**
 * What a route does, as far as authorization is concerned. Each admin route needs exactly one action; a route that
 * touches one namespace also names it (see {@link Authorizer}).
 *
 * <ul>
 *   <li>{@link #READ}: look at functions, versions, instances, scaling, runtimes, pools, nodes, the cluster, metrics</li>
 *   <li>{@link #INVOKE}: call a function whose {@code auth} is {@code token}</li>
 *   <li>{@link #LOGS}: read a function's logs and invocation records (they may hold the function's data)</li>
 *   <li>{@link #DEPLOY}: create, update, deploy, roll back, scale or delete functions; upload code packages</li>
 *   <li>{@link #ADMIN}: manage tokens and the node's or cluster's settings (warm pool sizes)</li>
 * </ul>
 */
public enum Action {
    READ("read"),
    INVOKE("invoke functions"),
    LOGS("read logs and invocations"),
    DEPLOY("deploy, roll back, scale or delete functions and upload code"),
    ADMIN("manage tokens and cluster settings");

    private final String description;

    Action(String description) {
        this.description = description;
    }

    /** What the action lets a token do, for error messages: "read logs and invocations". */
    public String description() {
        return description;
    }
}
