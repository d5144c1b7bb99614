/**
 * The benchmark driver: starts the fake Azure, runs the application in its own JVMs with and without the starter,
 * and prints what it measured as a markdown table.
 */
@NullMarked
package dev.workloadidentity.spring.benchmarks;

import org.jspecify.annotations.NullMarked;
