package dev.workloadidentity.spring.autoconfigure;

import com.azure.core.credential.TokenCredential;
import com.azure.identity.WorkloadIdentityCredential;
import com.azure.identity.WorkloadIdentityCredentialBuilder;
import dev.workloadidentity.spring.credential.SharedTokenCredential;
import dev.workloadidentity.spring.diagnostics.FailureLog;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Environment;

/**
 * Registers the pod's workload identity as the application's credential.
 * <p>
 * Two beans: the Azure Identity {@link WorkloadIdentityCredential} ({@code workloadIdentityCredential}), whose MSAL
 * threads are shut down when the context closes, and, in front of it, a {@link SharedTokenCredential} under Spring
 * Cloud Azure's default-credential name, defined before Spring Cloud Azure's own credential configuration, which
 * then backs off. Every Spring Cloud Azure client that has no credential of its own (no connection string, key,
 * SAS, per-service credential or {@code token-credential-bean-name}) uses it, so one identity and resource cost one
 * token, instead of a {@code DefaultAzureCredential} chain that could fall through to a node or cluster identity.
 * It is {@code @Primary} so that application code injecting a {@link TokenCredential} shares that cache too.
 * <p>
 * When Key Vault property sources already needed the credential at startup, the same instances are used (see
 * {@link BootstrapCredential}). A user's own {@code springCloudAzureDefaultCredential} replaces both beans; a
 * user's own {@link WorkloadIdentityCredential} replaces the first and gets the shared cache in front of it.
 * Other {@link TokenCredential} beans replace nothing: they are typically meant for one client (through
 * {@code token-credential-bean-name}), and every other client should keep the pod's identity.
 * <p>
 * Each identity of {@code workload-identity.identities} becomes a further {@link SharedTokenCredential} bean of its
 * name (see {@link NamedIdentityBeans}), for the clients that name it.
 */
@AutoConfiguration(beforeName = WorkloadIdentityAutoConfiguration.SPRING_CLOUD_AZURE_CREDENTIAL_AUTO_CONFIGURATION)
@ConditionalOnWorkloadIdentity
@EnableConfigurationProperties(WorkloadIdentityProperties.class)
@Import(NamedIdentityBeans.class)
public final class WorkloadIdentityAutoConfiguration {

    /** Spring Cloud Azure's name for the credential its clients use when they have none configured. */
    public static final String SPRING_CLOUD_AZURE_DEFAULT_CREDENTIAL = "springCloudAzureDefaultCredential";

    static final String SPRING_CLOUD_AZURE_CREDENTIAL_AUTO_CONFIGURATION = "com.azure.spring.cloud.autoconfigure."
            + "implementation.context.AzureTokenCredentialAutoConfiguration";

    private static final Log logger = LogFactory.getLog(WorkloadIdentityAutoConfiguration.class);

    @Bean
    BroaderIdentityCheck workloadIdentityBroaderIdentityCheck(ListableBeanFactory beans,
            ConfigurableEnvironment environment, WorkloadIdentityProperties properties,
            WorkloadIdentitySettings settings) {
        return new BroaderIdentityCheck(beans, environment, settings.clientId(), properties.isStrict());
    }

    @Bean
    CloudMismatchCheck workloadIdentityCloudMismatchCheck(WorkloadIdentitySettings settings,
            ConfigurableEnvironment environment) {
        return new CloudMismatchCheck(settings.authorityHost(), environment);
    }

    @Bean
    @ConditionalOnMissingBean
    FailureLog workloadIdentityFailureLog() {
        return new FailureLog();
    }

    @Bean
    @ConditionalOnMissingBean
    WorkloadIdentitySettings workloadIdentitySettings(WorkloadIdentityProperties properties, Environment environment,
            FailureLog failureLog, ObjectProvider<BootstrapCredential> bootstrapCredential) {
        BootstrapCredential bootstrap = bootstrapCredential.getIfAvailable();
        if (bootstrap != null) {
            bootstrap.warnings().forEach(failureLog::failed);
            return bootstrap.settings();
        }
        return WorkloadIdentitySettings.resolve(properties, environment, failureLog::failed);
    }

    @Bean
    @ConditionalOnMissingBean(value = WorkloadIdentityCredential.class, name = SPRING_CLOUD_AZURE_DEFAULT_CREDENTIAL)
    MsalThreads workloadIdentityMsalThreads(ObjectProvider<BootstrapCredential> bootstrapCredential) {
        BootstrapCredential bootstrap = bootstrapCredential.getIfAvailable();
        return new MsalThreads((bootstrap != null) ? bootstrap.msalThreads() : WorkloadIdentitySettings.msalThreads());
    }

    @Bean
    @ConditionalOnMissingBean(value = WorkloadIdentityCredential.class, name = SPRING_CLOUD_AZURE_DEFAULT_CREDENTIAL)
    WorkloadIdentityCredential workloadIdentityCredential(WorkloadIdentitySettings settings, MsalThreads msalThreads,
            ObjectProvider<WorkloadIdentityCredentialBuilderCustomizer> customizers,
            ObjectProvider<BootstrapCredential> bootstrapCredential) {
        BootstrapCredential bootstrap = bootstrapCredential.getIfAvailable();
        if (bootstrap != null) {
            if (customizers.orderedStream().findAny().isPresent()) {
                logger.warn("WorkloadIdentityCredentialBuilderCustomizer beans do not apply: the credential was "
                        + "built before the application context, for Key Vault property sources. To customize "
                        + "it, register your own TokenCredential with a BootstrapRegistryInitializer.");
            }
            return bootstrap.credential();
        }
        WorkloadIdentityCredentialBuilder builder = settings.credentialBuilder(msalThreads.executor());
        customizers.orderedStream().forEach((customizer) -> customizer.customize(builder));
        return builder.build();
    }

    // Not replaceable by a user's bean: the identity beans come from this one, by name.
    @Bean(NamedIdentityBeans.NAMED_IDENTITIES_BEAN)
    NamedIdentities workloadIdentityNamedIdentities(WorkloadIdentityProperties properties,
            WorkloadIdentitySettings settings,
            ObjectProvider<WorkloadIdentityCredentialBuilderCustomizer> customizers) {
        return NamedIdentities.create(properties.getIdentities(), settings, customizers.orderedStream().toList());
    }

    @Bean(SPRING_CLOUD_AZURE_DEFAULT_CREDENTIAL)
    @Primary
    @ConditionalOnMissingBean(name = SPRING_CLOUD_AZURE_DEFAULT_CREDENTIAL)
    @ConditionalOnSingleCandidate(WorkloadIdentityCredential.class)
    SharedTokenCredential springCloudAzureDefaultCredential(WorkloadIdentityCredential credential,
            WorkloadIdentitySettings settings, ObjectProvider<BootstrapCredential> bootstrapCredential) {
        BootstrapCredential bootstrap = bootstrapCredential.getIfAvailable();
        return (bootstrap != null && bootstrap.credential() == credential) ? bootstrap.sharedCredential()
                : settings.sharedCredential(credential);
    }

}
