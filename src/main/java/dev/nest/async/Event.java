package dev.nest.async;

import java.time.Instant;

/**
 * A leased event, ready to be delivered.
 *
 * @param request     the invocation as enqueued
 * @param attempt     attempts already made (that counted: admission refusals do not)
 * @param rejections  times admission refused it so far (drives their backoff)
 * @param leaseEnds   when the lease ends and another dispatcher may take it again
 */
public record Event(NewEvent request, int attempt, int rejections, Instant leaseEnds) {
    public String id() {
        return request.id();
    }

    public String function() {
        return request.function();
    }
}
