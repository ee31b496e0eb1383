/** The HTTP admin API under {@code /api/v1} and {@code /health}, and the one place errors become JSON responses. */
package dev.nest.api;
