/**
 * Replays the Azure Functions 2019 trace in virtual time against the real scaler and keep-alive policies, and
 * against baselines (fixed keep-alive, a Knative-style KPA), to compare cold starts, provisioned and wasted
 * resources, waiting time and scale events.
 */
package dev.nest.sim;
