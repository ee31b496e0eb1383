package dev.nest.sidecar;

import java.util.Locale;

/**
 * What becomes of an instance after one invocation, decided from what its caller saw of the host's answer (a pure
 * function, tested with a table). The runtime host ends an invocation at its deadline itself (it answers 504 and keeps
 * serving, runtimes/CONTRACT.md), so a timeout alone is no reason to replace an instance:
 * <ul>
 *   <li>an answer, whatever its status (a host's own 504 included), keeps the instance ({@link #KEEP});</li>
 *   <li>an answer that says {@code X-Nest-Instance-Health: unhealthy} (a Java invocation that ignored its interruption
 *       still runs) retires it: no new requests, stopped once its requests in flight end ({@link #RETIRE});</li>
 *   <li>no answer by the deadline plus the caller's grace (the host could not end the invocation: a Node.js event
 *       loop blocked by a busy loop, a hung process) or a connection that failed mid-request replaces it at once
 *       ({@link #RECYCLE}): such a host cannot serve its other requests either.</li>
 * </ul>
 */
enum AfterInvocation {
    /** The instance serves the next request. */
    KEEP,
    /** The instance takes no new request and stops when its last request in flight ends. */
    RETIRE,
    /** The instance is stopped now. */
    RECYCLE;

    /** The response header in which a host says an instance must be replaced. */
    static final String HEALTH_HEADER = "x-nest-instance-health";

    /** What the caller saw of the host. */
    enum HostAnswer {
        /** The host answered (any status). */
        ANSWERED,
        /** No answer by the invocation's deadline plus the caller's grace. */
        NO_ANSWER_BY_DEADLINE,
        /** The connection failed before a whole answer arrived. */
        FAILED
    }

    /**
     * @param answer         what the caller saw
     * @param status         the answer's status (ignored unless {@link HostAnswer#ANSWERED})
     * @param instanceHealth the value of {@link #HEALTH_HEADER} in the answer, {@code ""} when absent
     */
    static AfterInvocation decide(HostAnswer answer, int status, String instanceHealth) {
        return switch (answer) {
            case NO_ANSWER_BY_DEADLINE, FAILED -> RECYCLE;
            case ANSWERED -> "unhealthy".equals(instanceHealth.trim().toLowerCase(Locale.ROOT)) ? RETIRE : KEEP;
        };
    }
}
