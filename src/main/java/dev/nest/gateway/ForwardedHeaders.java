package dev.nest.gateway;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The context of a request passed on to a function: {@code X-Forwarded-For}, {@code X-Forwarded-Proto},
 * {@code X-Forwarded-Host} and {@code Forwarded} (RFC 7239). From a client among {@link TrustedProxies} the
 * incoming values are kept and this hop is appended (the client address to the for-lists); from any other
 * client the incoming ones are dropped and replaced by what the gateway sees: the peer address, {@code http} (or
 * {@code https} on a TLS port)
 * and the request's {@code Host}. The {@code Host} header itself is passed on as the client sent it. A pure
 * function.
 */
final class ForwardedHeaders {
    private ForwardedHeaders() {
    }

    /**
     * What the forwarding headers say of one client connection, worked out once per connection: the client's
     * address, whether it is a trusted proxy, the scheme it used, and the {@code Forwarded} element of the last Host
     * seen on it. Loop thread only.
     */
    static final class Origin {
        final String address;
        final boolean trusted;
        final String proto;
        private final String node;
        private String lastHost;
        private String lastHop;

        Origin(InetAddress client, TrustedProxies trusted, String proto) {
            this.address = client.getHostAddress();
            this.node = client instanceof Inet6Address ? "\"[" + address + "]\"" : address;
            this.trusted = trusted.trusts(client);
            this.proto = proto;
        }

        /** The {@code Forwarded} element of this hop for a request with {@code host}. */
        String hop(String host) {
            if (!host.equals(lastHost)) {
                lastHop = "for=" + node + ";proto=" + proto + (host.isEmpty() ? "" : ";host=\"" + host.replace("\"", "") + "\"");
                lastHost = host;
            }
            return lastHop;
        }
    }

    /** {@code headers} (names and values alternating) with the forwarding headers set for a request from {@code client}. */
    static List<String> apply(List<String> headers, InetAddress client, TrustedProxies trusted) {
        return apply(headers, new Origin(client, trusted, "http"));
    }

    /**
     * {@code headers} (names and values alternating) with the forwarding headers set for a request from {@code origin}:
     * a new list, the caller's to change, with room for a {@code traceparent} more.
     */
    static List<String> apply(List<String> headers, Origin origin) {
        boolean trust = origin.trusted;
        String host = "";
        String xff = null;
        String proto = null;
        String xfHost = null;
        String forwarded = null;
        List<String> out = new ArrayList<>(headers.size() + 10);
        for (int i = 0; i < headers.size(); i += 2) {
            String n = headers.get(i);
            String v = headers.get(i + 1);
            if (n.equalsIgnoreCase("host")) {
                host = v;
            } else if (n.equalsIgnoreCase("x-forwarded-for")) {
                xff = xff == null ? v : xff + ", " + v;
                continue;
            } else if (n.equalsIgnoreCase("x-forwarded-proto")) {
                proto = proto == null ? v : proto;
                continue;
            } else if (n.equalsIgnoreCase("x-forwarded-host")) {
                xfHost = xfHost == null ? v : xfHost;
                continue;
            } else if (n.equalsIgnoreCase("forwarded")) {
                forwarded = forwarded == null ? v : forwarded + ", " + v;
                continue;
            }
            out.add(n);
            out.add(v);
        }
        String addr = origin.address;
        String hop = origin.hop(host);
        out.add("x-forwarded-for");
        out.add(trust && xff != null ? xff + ", " + addr : addr);
        out.add("x-forwarded-proto");
        out.add(trust && proto != null ? proto : origin.proto);
        out.add("x-forwarded-host");
        out.add(trust && xfHost != null ? xfHost : host);
        out.add("forwarded");
        out.add(trust && forwarded != null ? forwarded + ", " + hop : hop);
        return out;
    }
}
