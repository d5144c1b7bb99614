/** One token per identity and resource, shared by every client of the application. */
@NullMarked
package dev.workloadidentity.spring.credential;

import org.jspecify.annotations.NullMarked;
