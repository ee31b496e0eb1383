package dev.nest.driver.process;

import dev.nest.spi.DriverOptions;
import dev.nest.spi.SandboxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code sidecar.drivers.process} options, validated.
 *
 * <p>Who a host runs as depends on Nest's own user:
 * <ul>
 *   <li>Nest runs as root and {@code uid-base} is not 0 ({@link Isolation#POD_UIDS}, the default): each pod runs
 *       as its own uid and gid, {@code uid-base + slot}, with no supplementary groups, so pods cannot read each
 *       other's {@code /proc/<pid>/environ}, ptrace or signal each other, or read each other's files. A slot is
 *       held through a lock file in {@code uid-locks}, so several Nest nodes on one machine never share a uid.
 *       The uids need no account; the default range (1900000000 + 1000) lies above systemd's container range
 *       (524288-1879048191) and below its "foreign" range (2147352576-).</li>
 *   <li>Nest runs as root and {@code uid-base} is 0 ({@link Isolation#SHARED_USER}): every pod runs as
 *       {@code user} (default {@code nobody}). Pods are kept away from Nest, but not from each other.</li>
 *   <li>Nest does not run as root ({@link Isolation#NONE}): hosts run as Nest's user; nothing is isolated.</li>
 * </ul>
 *
 * @param isolation how hosts are separated
 * @param uidBase   first uid (and gid) of the pod range
 * @param uidCount  how many uids the range holds (at most this many pods at once)
 * @param user      the account of {@link Isolation#SHARED_USER} (a name or a number)
 * @param uidLocks  where the uid slot lock files live (machine-wide, writable only by root)
 * @param hostSocket {@code host-socket}: whether each host also listens on a Unix domain socket in its scratch
 *                  directory, which the gateway then uses (ADR 0032; default true)
 */
record ProcessDriverSettings(Isolation isolation, int uidBase, int uidCount, String user, Path uidLocks,
                             boolean hostSocket) {
    static final String PREFIX = "sidecar.drivers.process.";
    static final int DEFAULT_UID_BASE = 1_900_000_000;
    static final int DEFAULT_UID_COUNT = 1000;
    static final String DEFAULT_USER = "nobody";
    static final Path DEFAULT_UID_LOCKS = Path.of("/run/nest/pod-uids");
    // "node" (the Node.js binary of the hosts) is read and checked by runtime.NodeBinary, which fills ${node}
    private static final Set<String> KEYS = Set.of("uid-base", "uid-count", "user", "uid-locks",
            "host-socket", "node");

    /** How the hosts of a node are separated from Nest and from each other. */
    enum Isolation {
        /** One uid per pod (Nest runs as root). */
        POD_UIDS,
        /** One unprivileged account for all pods (Nest runs as root, {@code uid-base: 0}). */
        SHARED_USER,
        /** Hosts run as Nest's own user (Nest does not run as root). */
        NONE
    }

    /**
     * Reads {@code options}; {@code root} says whether Nest runs as root.
     *
     * @throws SandboxException naming every bad key, its value and what is allowed
     */
    static ProcessDriverSettings from(Map<String, String> options, boolean root) {
        List<String> problems = new ArrayList<>();
        for (String key : options.keySet()) {
            if (!KEYS.contains(key)) {
                problems.add("unknown key '" + PREFIX + key + "'; known: " + String.join(", ", new TreeSet<>(KEYS)));
            }
        }
        long base = number("uid-base", options.getOrDefault("uid-base", String.valueOf(DEFAULT_UID_BASE)), 0, 2_000_000_000L,
                DEFAULT_UID_BASE, problems);
        long count = number("uid-count", options.getOrDefault("uid-count", String.valueOf(DEFAULT_UID_COUNT)), 1, 1_000_000,
                DEFAULT_UID_COUNT, problems);
        if (base != 0 && base < 1000) {
            problems.add(DriverOptions.problem(PREFIX, "uid-base", String.valueOf(base),
                    "0 (all pods run as 'user') or a first uid of at least 1000 that no account uses"));
        }
        String user = options.getOrDefault("user", DEFAULT_USER).trim();
        if (user.isEmpty() || user.equals("root") || user.equals("0")) {
            problems.add(DriverOptions.problem(PREFIX, "user", user, "an unprivileged account name or uid, e.g. nobody"));
        }
        String socket = options.getOrDefault("host-socket", "true").trim();
        if (!socket.equalsIgnoreCase("true") && !socket.equalsIgnoreCase("false")) {
            problems.add(DriverOptions.problem(PREFIX, "host-socket", socket,
                    "true (hosts also listen on a Unix domain socket the gateway uses) or false (TCP only)"));
        }
        String locks = options.getOrDefault("uid-locks", DEFAULT_UID_LOCKS.toString()).trim();
        if (!locks.startsWith("/")) {
            problems.add(DriverOptions.problem(PREFIX, "uid-locks", locks, "an absolute directory path, e.g. /run/nest/pod-uids"));
        }
        if (!problems.isEmpty()) {
            throw new SandboxException("invalid process driver options: " + String.join("; ", problems));
        }
        Isolation isolation = !root ? Isolation.NONE : base == 0 ? Isolation.SHARED_USER : Isolation.POD_UIDS;
        return new ProcessDriverSettings(isolation, (int) base, (int) count, user, Path.of(locks),
                socket.equalsIgnoreCase("true"));
    }

    private static long number(String key, String value, long min, long max, long fallback, List<String> problems) {
        try {
            long n = Long.parseLong(value.trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        problems.add(DriverOptions.problem(PREFIX, key, value, "a whole number from " + min + " to " + max));
        return fallback;
    }
}
