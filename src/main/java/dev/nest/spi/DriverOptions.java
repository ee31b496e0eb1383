package dev.nest.spi;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks of the values drivers read from their {@code sidecar.drivers.<name>} options: every bad value adds one
 * message to {@code problems} that names the key, the value and what is allowed, and a default is used so that the
 * caller can report all problems at once.
 */
public final class DriverOptions {
    private static final Pattern DURATION = Pattern.compile("([0-9]{1,9})(ms|s|m)");
    private static final Pattern SIZE = Pattern.compile("([1-9][0-9]{0,9})([kmg]?)");

    private DriverOptions() {
    }

    /** The message for a bad value of {@code prefix + key}. */
    public static String problem(String prefix, String key, String value, String allowed) {
        return "key '" + prefix + key + "': value '" + value + "' is not valid; allowed: " + allowed;
    }

    /**
     * The {@code image.<runtime>: <image>} options of a driver whose pods are containers (runtime name to image, in
     * the order given), and a check that every other key is one of {@code keys}: a blank runtime, a blank image or one
     * with a space, and an unknown key, add a problem each. {@code example} is an image name for the messages.
     */
    public static Map<String, String> images(String prefix, Map<String, String> options, Set<String> keys, String example,
                                             List<String> problems) {
        Map<String, String> images = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : options.entrySet()) {
            String key = e.getKey();
            if (key.startsWith("image.")) {
                String runtime = key.substring("image.".length());
                if (runtime.isBlank() || e.getValue() == null || e.getValue().isBlank() || e.getValue().trim().contains(" ")) {
                    problems.add(problem(prefix, key, e.getValue(), "image.<runtime>: <image>, e.g. image.nodejs: " + example));
                } else {
                    images.put(runtime, e.getValue().trim());
                }
            } else if (!keys.contains(key)) {
                problems.add("unknown key '" + prefix + key + "'; known: " + String.join(", ", new TreeSet<>(keys))
                        + ", image.<runtime>");
            }
        }
        return images;
    }

    /** A duration written as {@code 1500ms}, {@code 30s} or {@code 2m}, from 1 s to 10 min (else 30 s and a problem). */
    public static Duration timeout(String prefix, String key, String value, List<String> problems) {
        Matcher m = DURATION.matcher(value.trim());
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            Duration d = switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                default -> Duration.ofMinutes(n);
            };
            if (d.compareTo(Duration.ofSeconds(1)) >= 0 && d.compareTo(Duration.ofMinutes(10)) <= 0) {
                return d;
            }
        }
        problems.add(problem(prefix, key, value, "a duration from 1s to 10m, e.g. 30s, 1500ms, 2m"));
        return Duration.ofSeconds(30);
    }

    /**
     * A size in bytes written as bytes or a number with {@code k}, {@code m} or {@code g}, at least {@code minBytes}
     * (else {@code fallback} and a problem).
     */
    public static long size(String prefix, String key, String value, long minBytes, long fallback, List<String> problems) {
        Matcher m = SIZE.matcher(value.trim().toLowerCase(Locale.ROOT));
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            long bytes = switch (m.group(2)) {
                case "k" -> n << 10;
                case "m" -> n << 20;
                case "g" -> n << 30;
                default -> n;
            };
            if (bytes >= minBytes) {
                return bytes;
            }
        }
        problems.add(problem(prefix, key, value, "a size of at least " + (minBytes >= 1 << 20 ? (minBytes >> 20) + "m" : minBytes + " bytes")
                + ": bytes or a number with k, m or g, e.g. 64m"));
        return fallback;
    }
}
