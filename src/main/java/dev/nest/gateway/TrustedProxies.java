package dev.nest.gateway;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * The addresses (single addresses or CIDR blocks, IPv4 or IPv6) whose {@code X-Forwarded-*} and {@code Forwarded}
 * headers the gateway believes: the config key {@code gateway.trusted-proxies}. From any other client those
 * headers are replaced by what the gateway itself sees. {@link #NONE} (the default) trusts nobody.
 *
 * @param entries the addresses and blocks as configured, e.g. {@code 10.0.0.0/8}, {@code 192.0.2.7}, {@code ::1}
 */
public record TrustedProxies(List<String> entries) {
    public static final TrustedProxies NONE = new TrustedProxies(List.of());

    private record Block(byte[] prefix, int bits) {
    }

    /** @throws IllegalArgumentException naming the key and the entry when one is not an address or CIDR block */
    public TrustedProxies {
        entries = List.copyOf(entries);
        entries.forEach(TrustedProxies::block);
    }

    /** Whether {@code address} is one of the trusted proxies. */
    public boolean trusts(InetAddress address) {
        byte[] a = address.getAddress();
        for (String e : entries) {
            Block b = block(e);
            if (b.prefix.length == a.length && matches(b, a)) {
                return true;
            }
        }
        return false;
    }

    private static boolean matches(Block b, byte[] a) {
        int full = b.bits / 8;
        for (int i = 0; i < full; i++) {
            if (a[i] != b.prefix[i]) {
                return false;
            }
        }
        int rest = b.bits % 8;
        if (rest == 0) {
            return true;
        }
        int mask = 0xff << (8 - rest) & 0xff;
        return (a[full] & mask) == (b.prefix[full] & mask);
    }

    private static Block block(String entry) {
        String e = entry.strip();
        int slash = e.indexOf('/');
        String addr = slash < 0 ? e : e.substring(0, slash);
        if (addr.isEmpty() || !addr.matches("[0-9a-fA-F:.]+")) {
            throw invalid(entry);
        }
        byte[] bytes;
        try {
            bytes = InetAddress.getByName(addr).getAddress(); // a literal only: no lookup for these characters
        } catch (UnknownHostException ex) {
            throw invalid(entry);
        }
        int bits = bytes.length * 8;
        if (slash >= 0) {
            try {
                bits = Integer.parseInt(e.substring(slash + 1));
            } catch (NumberFormatException ex) {
                throw invalid(entry);
            }
            if (bits < 0 || bits > bytes.length * 8) {
                throw invalid(entry);
            }
        }
        return new Block(bytes, bits);
    }

    private static IllegalArgumentException invalid(String entry) {
        return new IllegalArgumentException("gateway.trusted-proxies: '" + entry
                + "' is not an IP address or CIDR block (e.g. 10.0.0.0/8, 192.0.2.7, fd00::/8)");
    }

}
