package dev.nest.sidecar;

import java.util.Optional;

/**
 * Parses the contract's framed log lines: {@code \u001eNEST\t<invocationId>\t<instanceId>\t<level>\t<text>}.
 */
final class LogFraming {
    static final String PREFIX = "\u001eNEST\t";

    /** A framed line's parts. */
    record Framed(String invocationId, String instanceId, String level, String text) {
    }

    private LogFraming() {
    }

    static Optional<Framed> parse(String line) {
        if (!line.startsWith(PREFIX)) {
            return Optional.empty();
        }
        String[] p = line.substring(PREFIX.length()).split("\t", 4);
        if (p.length < 4) {
            return Optional.empty();
        }
        String level = switch (p[2]) {
            case "debug", "info", "warn", "error" -> p[2];
            default -> "info";
        };
        return Optional.of(new Framed(p[0], p[1], level, p[3]));
    }
}
