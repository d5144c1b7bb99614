/** Auto-configuration of the workload identity health indicator. */
@NullMarked
package dev.workloadidentity.spring.autoconfigure.health;

import org.jspecify.annotations.NullMarked;
