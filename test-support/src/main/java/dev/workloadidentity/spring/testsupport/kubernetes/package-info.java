/** The AKS side of workload identity: the cluster's OIDC issuer, the kubelet's token and its projected volume. */
@NullMarked
package dev.workloadidentity.spring.testsupport.kubernetes;

import org.jspecify.annotations.NullMarked;
