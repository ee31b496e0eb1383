import dev.nest.fn.Context;
import java.util.Map;

/** GET /fn/hello-java?name=Ada  ->  {"message":"Hello, Ada!"} */
public class Handler {
    public Map<String, Object> handle(Map<String, Object> event, Context context) {
        Object query = event.get("query");
        Object name = query instanceof Map<?, ?> q && q.get("name") != null ? q.get("name") : "world";
        return Map.of("message", "Hello, " + name + "!", "version", context.functionVersion());
    }
}
