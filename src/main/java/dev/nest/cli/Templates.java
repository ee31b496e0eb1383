package dev.nest.cli;

/** The files {@code nest fn init} writes. */
final class Templates {
    private Templates() {
    }

    static String nodeYaml(String name) {
        return """
                # Function spec; see config/functions/README.md for every key.
                name: %s
                runtime: nodejs
                handler: index.handler
                memory: 128
                timeout: 30s
                concurrency: 8
                scaling:
                  min: 0
                  max: 10
                """.formatted(name);
    }

    static String javaYaml(String name) {
        return """
                # Function spec; see config/functions/README.md for every key.
                name: %s
                runtime: java
                handler: Handler
                memory: 256
                timeout: 30s
                concurrency: 8
                scaling:
                  min: 0
                  max: 10
                """.formatted(name);
    }

    static final String NODE_HANDLER = """
            // event: {method, path, query, headers, body, isBase64Encoded}; return {statusCode, headers, body} or any JSON value.
            exports.handler = async (event, context) => {
              const name = (event.query && event.query.name) || 'world';
              context.logger.info(`greeting ${name}`);
              return {
                statusCode: 200,
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ message: `Hello, ${name}!`, version: context.functionVersion }),
              };
            };
            """;

    static final String JAVA_HANDLER = """
            import dev.nest.fn.Context;
            import java.util.Map;

            /** Nest calls handle(event, context); the result is sent as JSON, or as an HTTP response if it has a statusCode. */
            public class Handler {
                public Map<String, Object> handle(Map<String, Object> event, Context context) {
                    Object query = event.get("query");
                    Object name = query instanceof Map<?, ?> q && q.get("name") != null ? q.get("name") : "world";
                    context.logger().info("greeting " + name);
                    return Map.of("message", "Hello, " + name + "!", "version", context.functionVersion());
                }
            }
            """;
}
