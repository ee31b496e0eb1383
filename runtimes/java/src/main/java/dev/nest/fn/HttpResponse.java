package dev.nest.fn;

import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An HTTP response returned by a function.
 *
 * @param statusCode the HTTP status
 * @param headers response headers (without {@code content-type}, a body is sent as {@code text/plain; charset=utf-8})
 * @param body the body: text, or base64 when {@code isBase64Encoded}; {@code null} for none
 * @param isBase64Encoded whether {@code body} is base64 (it is decoded before sending)
 */
public record HttpResponse(int statusCode, Map<String, String> headers, String body, boolean isBase64Encoded) {

    private static final String CONTENT_TYPE = "content-type";

    public HttpResponse {
        if (headers == null) headers = Map.of();
    }

    /** {@code 200} with a plain-text body. */
    public static HttpResponse ok(String body) {
        return new HttpResponse(200, Map.of(CONTENT_TYPE, "text/plain; charset=utf-8"), body, false);
    }

    /** A JSON response; {@code json} is sent as given. */
    public static HttpResponse json(int status, String json) {
        return new HttpResponse(status, Map.of(CONTENT_TYPE, "application/json"), json, false);
    }

    /** A response with the given headers and text body. */
    public static HttpResponse of(int status, Map<String, String> headers, String body) {
        return new HttpResponse(status, headers, body, false);
    }

    /** A binary response. */
    public static HttpResponse binary(int status, String contentType, byte[] bytes) {
        return new HttpResponse(status, Map.of(CONTENT_TYPE, contentType),
                Base64.getEncoder().encodeToString(bytes), true);
    }

    /** A copy of this response with one more header (replacing any of the same name, ignoring case). */
    public HttpResponse withHeader(String name, String value) {
        Map<String, String> h = new LinkedHashMap<>(headers);
        h.keySet().removeIf(k -> k.equalsIgnoreCase(name));
        h.put(name, value);
        return new HttpResponse(statusCode, h, body, isBase64Encoded);
    }
}
