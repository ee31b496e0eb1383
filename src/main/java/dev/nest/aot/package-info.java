/**
 * The server's self-applied JDK AOT cache (ADR 0033): {@code java -jar nest.jar} on a JDK 25 or later re-executes
 * itself, same process, with {@code -XX:AOTCache} when a cache for exactly this jar and JVM exists, and trains one
 * in the background after its first ready start when none does.
 */
package dev.nest.aot;
