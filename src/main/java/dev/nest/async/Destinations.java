package dev.nest.async;

import dev.nest.function.AsyncSpec;
import dev.nest.function.SpecProblem;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Which HTTP URLs async destinations ({@code async.on-success} / {@code on-failure}) may name: only hosts on
 * {@code async.destinations.allow} (exact host names, or {@code *.example.com} for its subdomains; an entry may
 * add {@code :port}). Empty list: no HTTP destination at all. Pure; used at deploy (a spec naming another host is
 * refused) and again before each send (a spec deployed under a wider list is not trusted).
 */
public record Destinations(List<String> allow) {
    public Destinations {
        allow = List.copyOf(allow);
        for (String a : allow) {
            if (!a.matches("(\\*\\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?")) {
                throw new IllegalArgumentException("async.destinations.allow: '" + a + "' is not a host name, "
                        + "*.domain or host:port (lowercase)");
            }
        }
    }

    /** Whether {@code destination} is an HTTP URL rather than a function name. */
    public static boolean isUrl(String destination) {
        return AsyncSpec.isUrl(destination);
    }

    /** Why {@code url} may not be called, or empty when it may. */
    public Optional<String> refusal(String url) {
        URI u;
        try {
            u = URI.create(url);
        } catch (IllegalArgumentException e) {
            return Optional.of("'" + url + "' is not a URL");
        }
        String host = u.getHost() == null ? "" : u.getHost().toLowerCase(Locale.ROOT);
        int port = u.getPort() > 0 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
        for (String a : allow) {
            String[] hp = a.split(":");
            if (hp.length == 2 && Integer.parseInt(hp[1]) != port) {
                continue;
            }
            String h = hp[0];
            if (h.startsWith("*.") ? host.endsWith(h.substring(1)) : host.equals(h)) {
                return Optional.empty();
            }
        }
        return Optional.of("the host '" + host + "' of " + url + " is not on async.destinations.allow "
                + (allow.isEmpty() ? "(empty: HTTP destinations are off; add the host to nest.yaml)" : allow));
    }

    /**
     * The problems of {@code spec}'s destinations (the deploy's check): each HTTP destination whose host is not
     * allowed, with its key; empty when all are allowed.
     */
    public List<SpecProblem> problems(AsyncSpec spec) {
        List<SpecProblem> out = new java.util.ArrayList<>();
        spec.onSuccess().filter(Destinations::isUrl).ifPresent(url -> refusal(url).ifPresent(r ->
                out.add(new SpecProblem("async.on-success", url, allowed(r)))));
        spec.onFailure().filter(Destinations::isUrl).ifPresent(url -> refusal(url).ifPresent(r ->
                out.add(new SpecProblem("async.on-failure", url, allowed(r)))));
        return out;
    }

    private String allowed(String refusal) {
        return "a function name, or an http(s) URL whose host is on async.destinations.allow in nest.yaml ("
                + refusal + ")";
    }
}
