package dev.nest.driver.process;

import java.util.List;

/**
 * What {@code /proc} says about one process: enough to tell whether a pid still names the process Nest started.
 *
 * @param pid        the process id
 * @param startTicks field 22 of {@code /proc/<pid>/stat}: start time in clock ticks since boot (unchanged by exec)
 * @param uid        the real uid ({@code Uid:} line of {@code /proc/<pid>/status})
 * @param cmdline    {@code /proc/<pid>/cmdline} split at NUL (empty for a zombie or a kernel thread)
 */
record ProcessRecord(long pid, long startTicks, int uid, List<String> cmdline) {
    ProcessRecord {
        cmdline = List.copyOf(cmdline);
    }
}
