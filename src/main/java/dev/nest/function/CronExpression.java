package dev.nest.function;

import java.time.DayOfWeek;
import java.time.LocalDateTime;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;

/**
 * A standard five-field cron expression, {@code minute hour day-of-month month day-of-week}, matched against a
 * local date-time (the caller picks the time zone). Each field takes {@code *}, a number, a range {@code a-b},
 * a step {@code * /n} or {@code a-b/n} (without the space), and comma-separated lists of those. Months may be
 * written {@code JAN}..{@code DEC}, days of week {@code SUN}..{@code SAT} or {@code 0}..{@code 7} (0 and 7 are
 * Sunday). As in Vixie cron, when both day-of-month and day-of-week are restricted a day matches if either
 * does. Seconds, years, {@code L}, {@code W}, {@code #} and {@code ?} are not supported.
 */
public final class CronExpression {
    /** What a valid expression looks like, for error messages. */
    public static final String ALLOWED = "five cron fields 'minute hour day-of-month month day-of-week', "
            + "e.g. '0 8 * * MON-FRI' (values: *, n, a-b, */n, a-b/n and lists a,b; months JAN-DEC, days SUN-SAT or 0-7)";
    private static final List<String> MONTHS = List.of("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP",
            "OCT", "NOV", "DEC");
    private static final List<String> DAYS = List.of("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT");

    private final String text;
    private final BitSet minutes;
    private final BitSet hours;
    private final BitSet daysOfMonth;
    private final BitSet months;
    private final BitSet daysOfWeek;
    private final boolean domRestricted;
    private final boolean dowRestricted;

    private CronExpression(String text, BitSet minutes, BitSet hours, BitSet daysOfMonth, BitSet months,
                           BitSet daysOfWeek, boolean domRestricted, boolean dowRestricted) {
        this.text = text;
        this.minutes = minutes;
        this.hours = hours;
        this.daysOfMonth = daysOfMonth;
        this.months = months;
        this.daysOfWeek = daysOfWeek;
        this.domRestricted = domRestricted;
        this.dowRestricted = dowRestricted;
    }

    /**
     * Parses an expression.
     *
     * @throws IllegalArgumentException naming the field that is wrong and what is allowed
     */
    public static CronExpression parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty cron expression; expected " + ALLOWED);
        }
        String[] f = text.trim().toUpperCase(Locale.ROOT).split("\\s+");
        if (f.length != 5) {
            throw new IllegalArgumentException("'" + text + "' has " + f.length + " fields; expected " + ALLOWED);
        }
        BitSet dow = field(f[4], "day-of-week", 0, 7, DAYS);
        if (dow.get(7)) {
            dow.set(0);
            dow.clear(7);
        }
        return new CronExpression(text.trim(), field(f[0], "minute", 0, 59, null), field(f[1], "hour", 0, 23, null),
                field(f[2], "day-of-month", 1, 31, null), field(f[3], "month", 1, 12, MONTHS), dow,
                !f[2].equals("*"), !f[4].equals("*"));
    }

    private static BitSet field(String spec, String name, int lo, int hi, List<String> names) {
        BitSet bits = new BitSet(hi + 1);
        for (String part : spec.split(",", -1)) {
            int step = 1;
            String range = part;
            int slash = part.indexOf('/');
            if (slash >= 0) {
                range = part.substring(0, slash);
                step = number(part.substring(slash + 1), name, 1, hi - lo + 1, null, spec);
            }
            int from;
            int to;
            if (range.equals("*")) {
                from = lo;
                to = hi;
            } else {
                int dash = range.indexOf('-');
                if (dash >= 0) {
                    from = number(range.substring(0, dash), name, lo, hi, names, spec);
                    to = number(range.substring(dash + 1), name, lo, hi, names, spec);
                    if (to < from) {
                        throw new IllegalArgumentException(name + " range '" + range + "' in '" + spec
                                + "' runs backwards; write the smaller value first");
                    }
                } else {
                    from = number(range, name, lo, hi, names, spec);
                    to = slash >= 0 ? hi : from;
                }
            }
            for (int v = from; v <= to; v += step) {
                bits.set(v);
            }
        }
        return bits;
    }

    private static int number(String s, String name, int lo, int hi, List<String> names, String spec) {
        if (names != null) {
            int i = names.indexOf(s);
            if (i >= 0) {
                return names == MONTHS ? i + 1 : i;
            }
        }
        if (!s.matches("\\d{1,2}")) {
            throw new IllegalArgumentException(name + " field '" + spec + "': '" + s + "' is not a number from " + lo
                    + " to " + hi + (names == null ? "" : " or a name " + names.getFirst() + ".." + names.getLast()));
        }
        int v = Integer.parseInt(s);
        if (v < lo || v > hi) {
            throw new IllegalArgumentException(name + " field '" + spec + "': " + v + " is outside " + lo + ".." + hi);
        }
        return v;
    }

    /** True when the expression fires at this local minute (seconds are ignored). */
    public boolean matches(LocalDateTime t) {
        if (!minutes.get(t.getMinute()) || !hours.get(t.getHour()) || !months.get(t.getMonthValue())) {
            return false;
        }
        boolean dom = daysOfMonth.get(t.getDayOfMonth());
        boolean dow = daysOfWeek.get(t.getDayOfWeek() == DayOfWeek.SUNDAY ? 0 : t.getDayOfWeek().getValue());
        if (domRestricted && dowRestricted) {
            return dom || dow;
        }
        return dom && dow;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CronExpression c && c.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    /** The expression as written. */
    @Override
    public String toString() {
        return text;
    }
}
