// The templates a new function starts from: the same files 'nest fn init' writes (cli.Templates; a unit test keeps
// the two equal). Each gives the spec the console deploys and the code files.
export const TEMPLATES = {
  nodejs: {
    label: 'Node.js: HTTP handler',
    spec: { runtime: 'nodejs', handler: 'index.handler', memory: 128, timeout: '30s', concurrency: 8, scaling: { min: 0, max: 10 } },
    files: {
      'index.js': `// event: {method, path, query, headers, body, isBase64Encoded}; return {statusCode, headers, body} or any JSON value.
exports.handler = async (event, context) => {
  const name = (event.query && event.query.name) || 'world';
  context.logger.info(\`greeting \${name}\`);
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message: \`Hello, \${name}!\`, version: context.functionVersion }),
  };
};
`,
    },
  },
  java: {
    label: 'Java: Handler class',
    spec: { runtime: 'java', handler: 'Handler', memory: 256, timeout: '30s', concurrency: 8, scaling: { min: 0, max: 10 } },
    files: {
      'Handler.java': `import dev.nest.fn.Context;
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
`,
    },
  },
};
