/** The node's configuration ({@code config/nest.yaml} plus command-line overrides), one record per module, validated. */
package dev.nest.config;
