/** Integration with Spring Cloud Azure: its clients use the workload identity and nothing broader. */
@NullMarked
package dev.workloadidentity.spring.autoconfigure.azure;

import org.jspecify.annotations.NullMarked;
