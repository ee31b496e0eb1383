package dev.nest.gateway;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The context of a request passed on to a function: {@code X-Forwarded-For}, {@code X-Forwarded-Proto},
 * {@code X-Forwarded-Host} and {@code Forwarded} (RFC 7239). From a client among {@link TrustedProxies} the
 * incoming values are kept and this hop is appended (the client address to the for-lists); from any other
 * client the incoming ones are dropped and replaced by what the gateway sees: the peer address, {@code http}
 * and the request's {@code Host}. The {@code Host} header itself is passed on as the client sent it. A pure
 * function.
 */
final class ForwardedHeaders {
    private ForwardedHeaders() {
    }

    /** {@code headers} (names and values alternating) with the forwarding headers set for a request from {@code client}. */
    static List<String> apply(List<String> headers, InetAddress client, TrustedProxies trusted) {
        boolean trust = trusted.trusts(client);
        String host = "";
        String xff = null;
        String proto = null;
        String xfHost = null;
        String forwarded = null;
        List<String> out = new ArrayList<>(headers.size() + 8);
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
        String addr = client.getHostAddress();
        String node = client instanceof Inet6Address ? "\"[" + addr + "]\"" : addr;
        String hop = "for=" + node + ";proto=http" + (host.isEmpty() ? "" : ";host=\"" + host.replace("\"", "") + "\"");
        out.add("x-forwarded-for");
        out.add(trust && xff != null ? xff + ", " + addr : addr);
        out.add("x-forwarded-proto");
        out.add(trust && proto != null ? proto : "http");
        out.add("x-forwarded-host");
        out.add(trust && xfHost != null ? xfHost : host);
        out.add("forwarded");
        out.add(trust && forwarded != null ? forwarded + ", " + hop : hop);
        return out;
    }
}
