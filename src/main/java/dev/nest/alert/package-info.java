/**
 * Alerts: rules on a function's or namespace's report (error rate, latency percentiles, throttles), its dead letters
 * or its cron triggers, judged by the leader every 15 seconds, with one webhook message when a rule fires and one
 * when it resolves.
 */
package dev.nest.alert;
