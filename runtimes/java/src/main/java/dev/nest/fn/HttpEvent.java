package dev.nest.fn;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The HTTP request that triggered an invocation.
 *
 * @param method the request method, e.g. {@code GET}
 * @param path the path the function sees, always starting with {@code /}
 * @param query the last value of each query parameter (empty when there is no query)
 * @param multiValueQuery all values of each query parameter
 * @param headers the last value of each header (repeated headers are joined), names in lower case
 * @param multiValueHeaders all values of each header, names in lower case
 * @param body the body: UTF-8 text, or base64 when {@code isBase64Encoded}; {@code null} without a body
 * @param isBase64Encoded whether {@code body} is base64
 */
public record HttpEvent(
        String method,
        String path,
        Map<String, String> query,
        Map<String, List<String>> multiValueQuery,
        Map<String, String> headers,
        Map<String, List<String>> multiValueHeaders,
        String body,
        boolean isBase64Encoded) {

    public HttpEvent {
        if (query == null) query = Map.of();
        if (multiValueQuery == null) multiValueQuery = Map.of();
        if (headers == null) headers = Map.of();
        if (multiValueHeaders == null) multiValueHeaders = Map.of();
    }

    /** The body as bytes (base64-decoded when needed); empty when there is no body. */
    public byte[] bodyBytes() {
        if (body == null) return new byte[0];
        return isBase64Encoded ? Base64.getDecoder().decode(body) : body.getBytes(StandardCharsets.UTF_8);
    }

    /** The value of a header, by case-insensitive name. */
    public Optional<String> header(String name) {
        return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
    }

    /** The event as a map in the AWS Lambda proxy shape (without {@code requestContext}). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("method", method);
        m.put("httpMethod", method);
        m.put("path", path);
        m.put("query", query);
        m.put("queryStringParameters", query.isEmpty() ? null : query);
        m.put("multiValueQueryStringParameters", multiValueQuery.isEmpty() ? null : multiValueQuery);
        m.put("headers", headers);
        m.put("multiValueHeaders", multiValueHeaders);
        m.put("body", body);
        m.put("isBase64Encoded", isBase64Encoded);
        return m;
    }
}
