/** Optional export of the gateway's invocation spans to an OpenTelemetry collector over OTLP/HTTP; the only module that uses the OpenTelemetry SDK. */
package dev.nest.tracing;
