package dev.workloadidentity.spring.autoconfigure.health;

import dev.workloadidentity.spring.autoconfigure.WorkloadIdentityAutoConfiguration;
import dev.workloadidentity.spring.autoconfigure.WorkloadIdentityProperties;
import dev.workloadidentity.spring.autoconfigure.WorkloadIdentitySettings;
import dev.workloadidentity.spring.credential.SharedTokenCredential;
import dev.workloadidentity.spring.diagnostics.FailureLog;
import dev.workloadidentity.spring.diagnostics.WorkloadIdentityDiagnostics;
import dev.workloadidentity.spring.health.WorkloadIdentityHealthIndicator;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * Registers the {@code workloadIdentity} health contributor, switched by
 * {@code management.health.workload-identity.enabled}. It checks the shared credential the clients use, so a
 * check reads that credential's cache instead of asking Entra.
 */
@AutoConfiguration(after = WorkloadIdentityAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(WorkloadIdentitySettings.class)
@ConditionalOnSingleCandidate(SharedTokenCredential.class)
@ConditionalOnEnabledHealthIndicator("workload-identity")
public final class WorkloadIdentityHealthContributorAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = "workloadIdentityHealthIndicator")
    WorkloadIdentityHealthIndicator workloadIdentityHealthIndicator(SharedTokenCredential credential,
            WorkloadIdentitySettings settings, WorkloadIdentityProperties properties, FailureLog failureLog) {
        String scope = properties.getHealth().getScope();
        WorkloadIdentityDiagnostics diagnostics = settings
            .diagnostics((scope != null) ? scope : settings.resourceManagerScope());
        return new WorkloadIdentityHealthIndicator(credential, diagnostics, properties.getHealth().getTimeout(),
                failureLog);
    }

}
