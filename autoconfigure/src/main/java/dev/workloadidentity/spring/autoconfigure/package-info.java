/** Auto-configuration of the pod's Microsoft Entra workload identity as the application's token credential. */
@NullMarked
package dev.workloadidentity.spring.autoconfigure;

import org.jspecify.annotations.NullMarked;
