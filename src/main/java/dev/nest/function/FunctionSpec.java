package dev.nest.function;

import java.time.Duration;
import java.util.List;
import java.util.Map;

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
 * @param triggers    the event sources that invoke it (the {@code triggers:} list), in the order written
 * @param http        whether its URL invokes it ({@code http:}, default true); false makes an event-only function
 *                    whose URL answers 404
 */
public record FunctionSpec(FunctionId id, String runtime, String handler, int memoryMb, Duration timeout,
                           int concurrency, Map<String, String> env, ScalingSpec scaling, QueueSpec queue,
                           InvocationAuth auth, AsyncSpec async, List<TriggerSpec> triggers, boolean http) {
    public FunctionSpec {
        env = Map.copyOf(env);
        java.util.Objects.requireNonNull(auth, "auth");
        java.util.Objects.requireNonNull(async, "async");
        triggers = List.copyOf(triggers);
    }

    /** A spec without triggers, invocable at its URL. */
    public FunctionSpec(FunctionId id, String runtime, String handler, int memoryMb, Duration timeout,
                        int concurrency, Map<String, String> env, ScalingSpec scaling, QueueSpec queue,
                        InvocationAuth auth, AsyncSpec async) {
        this(id, runtime, handler, memoryMb, timeout, concurrency, env, scaling, queue, auth, async, List.of(), true);
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
                async, triggers, http);
    }

    /** This spec with another {@code auth}. */
    public FunctionSpec withAuth(InvocationAuth newAuth) {
        return new FunctionSpec(id, runtime, handler, memoryMb, timeout, concurrency, env, scaling, queue, newAuth,
                async, triggers, http);
    }

    /** This spec with another {@code scaling}. */
    public FunctionSpec withScaling(ScalingSpec newScaling) {
        return new FunctionSpec(id, runtime, handler, memoryMb, timeout, concurrency, env, newScaling, queue, auth,
                async, triggers, http);
    }

    /** This spec with other {@code triggers} and {@code http}. */
    public FunctionSpec withTriggers(List<TriggerSpec> newTriggers, boolean newHttp) {
        return new FunctionSpec(id, runtime, handler, memoryMb, timeout, concurrency, env, scaling, queue, auth,
                async, newTriggers, newHttp);
    }
}
