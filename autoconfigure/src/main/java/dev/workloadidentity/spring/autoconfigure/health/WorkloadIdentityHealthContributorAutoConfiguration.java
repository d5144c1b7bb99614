package dev.workloadidentity.spring.autoconfigure.health;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.workloadidentity.spring.autoconfigure.NamedIdentities;
import dev.workloadidentity.spring.autoconfigure.WorkloadIdentityAutoConfiguration;
import dev.workloadidentity.spring.autoconfigure.WorkloadIdentityProperties;
import dev.workloadidentity.spring.autoconfigure.WorkloadIdentitySettings;
import dev.workloadidentity.spring.credential.SharedTokenCredential;
import dev.workloadidentity.spring.diagnostics.FailureLog;
import dev.workloadidentity.spring.health.WorkloadIdentityHealthIndicator;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * Registers the {@code workloadIdentity} health contributor, switched by
 * {@code management.health.workload-identity.enabled}. It checks the shared credentials the clients use, so a
 * check reads a credential's cache instead of asking Entra.
 * <p>
 * With only the pod's identity it is one indicator. With {@code workload-identity.identities}, it is a composite:
 * {@code default} for the pod's identity and one component per named identity, so each one's state and fix is
 * shown under its name and any failing one takes {@code workloadIdentity} down.
 */
@AutoConfiguration(after = WorkloadIdentityAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean({ WorkloadIdentitySettings.class, SharedTokenCredential.class })
@ConditionalOnEnabledHealthIndicator("workload-identity")
public final class WorkloadIdentityHealthContributorAutoConfiguration {

    /** The component of the pod's own identity, beside the named ones. */
    static final String POD_IDENTITY_COMPONENT = "default";

    @Bean
    @ConditionalOnMissingBean(name = "workloadIdentityHealthIndicator")
    HealthContributor workloadIdentityHealthIndicator(BeanFactory beans, WorkloadIdentitySettings settings,
            WorkloadIdentityProperties properties, FailureLog failureLog,
            ObjectProvider<NamedIdentities> namedIdentities) {
        String scope = properties.getHealth().getScope();
        Duration timeout = properties.getHealth().getTimeout();
        Map<String, HealthContributor> components = new LinkedHashMap<>();
        // Only when the pod's credential is the starter's cache; a user's own default credential is theirs to check.
        String podCredential = WorkloadIdentityAutoConfiguration.SPRING_CLOUD_AZURE_DEFAULT_CREDENTIAL;
        if (beans.containsBean(podCredential) && beans.getBean(podCredential) instanceof SharedTokenCredential pod) {
            components.put(POD_IDENTITY_COMPONENT, indicator(pod, settings, scope, timeout, failureLog));
        }
        NamedIdentities named = namedIdentities.getIfAvailable();
        if (named != null) {
            named.all()
                .forEach((name, identity) -> components.put(name, indicator(identity.credential(),
                        identity.settings(), scope, timeout, identity.failureLog())));
        }
        if (components.size() == 1 && components.containsKey(POD_IDENTITY_COMPONENT)) {
            return components.get(POD_IDENTITY_COMPONENT);
        }
        return CompositeHealthContributor.fromMap(components);
    }

    private static WorkloadIdentityHealthIndicator indicator(SharedTokenCredential credential,
            WorkloadIdentitySettings settings, @Nullable String scope, Duration timeout, FailureLog failureLog) {
        return new WorkloadIdentityHealthIndicator(credential,
                settings.diagnostics((scope != null) ? scope : settings.resourceManagerScope()), timeout, failureLog);
    }

}
