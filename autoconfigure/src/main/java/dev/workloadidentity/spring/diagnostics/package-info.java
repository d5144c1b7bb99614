/** Turning token failures into words an operator can act on, without ever showing a token. */
@NullMarked
package dev.workloadidentity.spring.diagnostics;

import org.jspecify.annotations.NullMarked;
