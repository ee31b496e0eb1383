/**
 * The function model shared by every module: a function's spec, its immutable versions and aliases,
 * and the one parser that reads and validates specs from config files, the API and ZooKeeper.
 */
package dev.nest.function;
