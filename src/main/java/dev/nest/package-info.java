/** Nest's entry point and composition root: wires the modules of one node together, holds no logic of its own. */
package dev.nest;
