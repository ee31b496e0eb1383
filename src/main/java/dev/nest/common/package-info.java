/** Small shared vocabulary used by every module: JSON mapping, durations and sizes, the error base type, the clock. */
package dev.nest.common;
