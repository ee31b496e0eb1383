package dev.nest.fn;

import java.util.Map;

/**
 * Optional interface for a function's handler class. A handler class need not implement it: a public
 * method named {@code handle} with a supported signature is found by reflection.
 */
@FunctionalInterface
public interface Handler {

    /**
     * Handles one invocation.
     *
     * @param event the request in the AWS Lambda proxy shape ({@code method}, {@code path}, {@code headers}, ...)
     * @param context the invocation context
     * @return an {@link HttpResponse}, a {@code Map} with a numeric {@code statusCode}, or any other value
     *     (sent as JSON with status 200)
     */
    Object handle(Map<String, Object> event, Context context) throws Exception;
}
