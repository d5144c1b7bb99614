/** Sample application using Key Vault, Blob Storage and Service Bus through the pod's workload identity. */
@NullMarked
package dev.workloadidentity.spring.sample;

import org.jspecify.annotations.NullMarked;
