/** Health indicator reporting whether the workload identity can get tokens. */
@NullMarked
package dev.workloadidentity.spring.health;

import org.jspecify.annotations.NullMarked;
