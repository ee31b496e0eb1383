package dev.nest.function;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a function is: everything a version freezes except the code.
 *
 * @param id          namespace and name
 * @param runtime     runtime name ({@code nodejs}, {@code java}, ...), a folder under {@code runtimes/}
 * @param handler     entry point in the runtime's notation; empty means the runtime's default
 * @param memoryMb    memory limit per instance, MiB
 * @param timeout     longest time one invocation may run
 * @param concurrency in-flight invocations one instance takes at most
 * @param env         environment visible to the function
 * @param scaling     instance bounds
 * @param queue       waiting requests when every instance is busy
 * @param auth        who may invoke it through the gateway ({@code auth} in the spec; {@link InvocationAuth#PUBLIC}
 *                    when the spec does not say)
 * @param async       delivery of asynchronous invocations (the {@code async:} block)
 * @param limits      its rate limit (the {@code limits:} block; {@link LimitsSpec#NONE} when the spec has none)
 * @param degrade     its circuit breaker and fallback (the {@code degrade:} block), if any
 * @param triggers    the event sources that invoke it (the {@code triggers:} list), in the order written
 * @param http        whether its URL invokes it ({@code http:}, default true); false makes an event-only function
 *                    whose URL answers 404
 * @param deploy      how its instances are placed into pods ({@code deploy}: dedicated, merged or auto; {@link
 *                    DeployMode#AUTO} when the spec does not say)
 */
public record FunctionSpec(FunctionId id, String runtime, String handler, int memoryMb, Duration timeout,
                           int concurrency, Map<String, String> env, ScalingSpec scaling, QueueSpec queue,
                           InvocationAuth auth, AsyncSpec async, LimitsSpec limits, Optional<DegradeSpec> degrade,
                           List<TriggerSpec> triggers, boolean http, DeployMode deploy) {
    public FunctionSpec {
        Objects.requireNonNull(deploy, "deploy");
        env = Map.copyOf(env);
        Objects.requireNonNull(auth, "auth");
        Objects.requireNonNull(async, "async");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(degrade, "degrade");
        triggers = List.copyOf(triggers);
    }

    /** A spec placed {@link DeployMode#AUTO automatically}. */
    public FunctionSpec(FunctionId id, String runtime, String handler, int memoryMb, Duration timeout,
                        int concurrency, Map<String, String> env, ScalingSpec scaling, QueueSpec queue,
                        InvocationAuth auth, AsyncSpec async, LimitsSpec limits, Optional<DegradeSpec> degrade,
                        List<TriggerSpec> triggers, boolean http) {
        this(id, runtime, handler, memoryMb, timeout, concurrency, env, scaling, queue, auth, async, limits, degrade,
                triggers, http, DeployMode.AUTO);
    }

    /** A spec without a rate limit, circuit breaker or triggers, invocable at its URL. */
    public FunctionSpec(FunctionId id, String runtime, String handler, int memoryMb, Duration timeout,
                        int concurrency, Map<String, String> env, ScalingSpec scaling, QueueSpec queue,
                        InvocationAuth auth, AsyncSpec async) {
        this(id, runtime, handler, memoryMb, timeout, concurrency, env, scaling, queue, auth, async, LimitsSpec.NONE,
                Optional.empty(), List.of(), true);
    }

    /** A spec of a {@link InvocationAuth#PUBLIC public} function with the default {@code async:} settings. */
    public FunctionSpec(FunctionId id, String runtime, String handler, int memoryMb, Duration timeout,
                        int concurrency, Map<String, String> env, ScalingSpec scaling, QueueSpec queue) {
        this(id, runtime, handler, memoryMb, timeout, concurrency, env, scaling, queue, InvocationAuth.PUBLIC);
    }

    /** A spec with the default {@code async:} settings. */
    public FunctionSpec(FunctionId id, String runtime, String handler, int memoryMb, Duration timeout,
                        int concurrency, Map<String, String> env, ScalingSpec scaling, QueueSpec queue,
                        InvocationAuth auth) {
        this(id, runtime, handler, memoryMb, timeout, concurrency, env, scaling, queue, auth, AsyncSpec.DEFAULT);
    }

    public FunctionSpec withId(FunctionId newId) {
        return new FunctionSpec(newId, runtime, handler, memoryMb, timeout, concurrency, env, scaling, queue, auth,
                async, limits, degrade, triggers, http, deploy);
    }

    /** This spec with another {@code auth}. */
    public FunctionSpec withAuth(InvocationAuth newAuth) {
        return new FunctionSpec(id, runtime, handler, memoryMb, timeout, concurrency, env, scaling, queue, newAuth,
                async, limits, degrade, triggers, http, deploy);
    }

    /** This spec with another rate limit and circuit breaker. */
    public FunctionSpec withProtection(LimitsSpec newLimits, Optional<DegradeSpec> newDegrade) {
        return new FunctionSpec(id, runtime, handler, memoryMb, timeout, concurrency, env, scaling, queue, auth,
                async, newLimits, newDegrade, triggers, http, deploy);
    }

    /** This spec with another {@code scaling}. */
    public FunctionSpec withScaling(ScalingSpec newScaling) {
        return new FunctionSpec(id, runtime, handler, memoryMb, timeout, concurrency, env, newScaling, queue, auth,
                async, limits, degrade, triggers, http, deploy);
    }

    /** This spec with other {@code triggers} and {@code http}. */
    public FunctionSpec withTriggers(List<TriggerSpec> newTriggers, boolean newHttp) {
        return new FunctionSpec(id, runtime, handler, memoryMb, timeout, concurrency, env, scaling, queue, auth,
                async, limits, degrade, newTriggers, newHttp, deploy);
    }

    /** This spec with another {@code deploy}. */
    public FunctionSpec withDeploy(DeployMode newDeploy) {
        return new FunctionSpec(id, runtime, handler, memoryMb, timeout, concurrency, env, scaling, queue, auth,
                async, limits, degrade, triggers, http, newDeploy);
    }
}
