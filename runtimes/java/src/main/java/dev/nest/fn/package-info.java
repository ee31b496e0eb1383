/** The small, JDK-only API that Nest Java functions may use: the invocation {@link dev.nest.fn.Context}, HTTP event and response types, and an optional {@link dev.nest.fn.Handler} interface. */
package dev.nest.fn;
