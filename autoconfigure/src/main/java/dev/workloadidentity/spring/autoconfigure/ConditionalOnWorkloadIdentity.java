package dev.workloadidentity.spring.autoconfigure;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.springframework.context.annotation.Conditional;

/**
 * Matches when the process runs with a Microsoft Entra workload identity: {@code AZURE_FEDERATED_TOKEN_FILE}
 * (injected by the AKS webhook) or {@code workload-identity.token-file} is set, and
 * {@code workload-identity.enabled} is not {@code false}.
 */
@Target({ ElementType.TYPE, ElementType.METHOD })
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Conditional(OnWorkloadIdentityCondition.class)
public @interface ConditionalOnWorkloadIdentity {

}
