package dev.workloadidentity.spring.autoconfigure.health;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.workloadidentity.spring.autoconfigure.NamedIdentities;
import dev.workloadidentity.spring.autoconfigure.WorkloadIdentityAutoConfiguration;
import dev.workloadidentity.spring.autoconfigure.WorkloadIdentityProperties;
import dev.workloadidentity.spring.autoconfigure.WorkloadIdentitySettings;
import dev.workloadidentity.spring.credential.SharedTokenCredential;
import dev.workloadidentity.spring.diagnostics.Diagnosis;
import dev.workloadidentity.spring.diagnostics.FailureLog;
import dev.workloadidentity.spring.diagnostics.Problem;
import dev.workloadidentity.spring.health.WorkloadIdentityHealthIndicator;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
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
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.util.StringUtils;

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

    private static final String CONTRIBUTOR = "workloadIdentity";

    private static final Pattern GROUP_INCLUDE = Pattern
        .compile("management\\.endpoint\\.health\\.group\\.([^.]+)\\.include(?:\\[\\d+\\]|\\.\\d+)?");

    private static final Log logger = LogFactory.getLog(WorkloadIdentityHealthContributorAutoConfiguration.class);

    @Bean
    @ConditionalOnMissingBean(name = "workloadIdentityHealthIndicator")
    HealthContributor workloadIdentityHealthIndicator(BeanFactory beans, WorkloadIdentitySettings settings,
            WorkloadIdentityProperties properties, FailureLog failureLog,
            ObjectProvider<NamedIdentities> namedIdentities, ConfigurableEnvironment environment) {
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
        boolean composite = !(components.size() == 1 && components.containsKey(POD_IDENTITY_COMPONENT));
        warnOfMissingGroupMembers(environment, composite ? components.keySet() : Set.of());
        return composite ? CompositeHealthContributor.fromMap(components) : components.get(POD_IDENTITY_COMPONENT);
    }

    /**
     * A health group that includes {@code workloadIdentity/<component>} checks nothing when there is no such
     * component, for example {@code workloadIdentity/default} without named identities, and Boot says nothing.
     */
    private static void warnOfMissingGroupMembers(ConfigurableEnvironment environment, Set<String> components) {
        environment.getPropertySources().forEach((source) -> {
            if (source instanceof EnumerablePropertySource<?> enumerable) {
                for (String name : enumerable.getPropertyNames()) {
                    Matcher group = GROUP_INCLUDE.matcher(name.toLowerCase(Locale.ROOT).replace('_', '.'));
                    String members = group.matches() ? environment.getProperty(name) : null;
                    for (String member : StringUtils.commaDelimitedListToSet(members)) {
                        String component = member.trim().startsWith(CONTRIBUTOR + "/")
                                ? member.trim().substring(CONTRIBUTOR.length() + 1) : null;
                        if (component != null && !components.contains(component)) {
                            logger.warn("Workload identity: " + Diagnosis.of(Problem.HEALTH_GROUP_MEMBER_MISSING,
                                    Map.of("group", group.group(1), "member", member.trim(), "components",
                                            components.isEmpty() ? "none" : String.join(", ", components)))
                                .describe());
                        }
                    }
                }
            }
        });
    }

    private static WorkloadIdentityHealthIndicator indicator(SharedTokenCredential credential,
            WorkloadIdentitySettings settings, @Nullable String scope, Duration timeout, FailureLog failureLog) {
        return new WorkloadIdentityHealthIndicator(credential,
                settings.diagnostics((scope != null) ? scope : settings.resourceManagerScope()), timeout, failureLog);
    }

}
