/**
 * The Spring Boot application the benchmarks measure, started by the driver in its own JVM with or without the
 * starter on its classpath.
 */
@NullMarked
package dev.workloadidentity.spring.benchmarks.app;

import org.jspecify.annotations.NullMarked;
