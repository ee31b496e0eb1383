/**
 * The function model shared by every module: a function's spec ({@link dev.nest.function.FunctionSpec}, including
 * its {@code scaling:} and {@code auth:} settings), its immutable versions and the head that names the live one
 * ({@link dev.nest.function.FunctionRecord}), and the one parser ({@link dev.nest.function.SpecParser}) that reads
 * and validates specs from function files, the API and ZooKeeper.
 */
package dev.nest.function;
