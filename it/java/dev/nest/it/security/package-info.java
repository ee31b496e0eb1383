/** Integration tests that run hostile functions against a real node and check that each attack fails. */
package dev.nest.it.security;
