package dev.workloadidentity.spring.autoconfigure;

import com.azure.core.credential.TokenCredential;
import com.azure.identity.WorkloadIdentityCredential;
import com.azure.identity.WorkloadIdentityCredentialBuilder;
import dev.workloadidentity.spring.diagnostics.FailureLog;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.PropertyMapper;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * Registers the pod's workload identity as the application's one {@link TokenCredential}.
 * <p>
 * The bean carries Spring Cloud Azure's default-credential name and is defined before Spring Cloud Azure's own
 * credential configuration, which then backs off: every Spring Cloud Azure client that has no credential of its
 * own (no connection string, key, SAS, per-service credential or {@code token-credential-bean-name}) uses this
 * instance, and with it one token cache, instead of a {@code DefaultAzureCredential} chain that could fall through
 * to a node or cluster identity.
 * <p>
 * A user's own {@code springCloudAzureDefaultCredential} or {@link WorkloadIdentityCredential} bean replaces this
 * one. Other {@link TokenCredential} beans do not: they are typically meant for one client (through
 * {@code token-credential-bean-name}), and every other client should keep the pod's identity.
 */
@AutoConfiguration(beforeName = WorkloadIdentityAutoConfiguration.SPRING_CLOUD_AZURE_CREDENTIAL_AUTO_CONFIGURATION)
@ConditionalOnWorkloadIdentity
@EnableConfigurationProperties(WorkloadIdentityProperties.class)
public final class WorkloadIdentityAutoConfiguration {

    /** Spring Cloud Azure's name for the credential its clients use when they have none configured. */
    public static final String SPRING_CLOUD_AZURE_DEFAULT_CREDENTIAL = "springCloudAzureDefaultCredential";

    static final String SPRING_CLOUD_AZURE_CREDENTIAL_AUTO_CONFIGURATION = "com.azure.spring.cloud.autoconfigure."
            + "implementation.context.AzureTokenCredentialAutoConfiguration";

    @Bean
    @ConditionalOnMissingBean
    FailureLog workloadIdentityFailureLog() {
        return new FailureLog();
    }

    @Bean
    @ConditionalOnMissingBean
    WorkloadIdentitySettings workloadIdentitySettings(WorkloadIdentityProperties properties, Environment environment,
            FailureLog failureLog) {
        return WorkloadIdentitySettings.resolve(properties, environment, failureLog::failed);
    }

    @Bean(name = { SPRING_CLOUD_AZURE_DEFAULT_CREDENTIAL, "workloadIdentityCredential" })
    @ConditionalOnMissingBean(value = WorkloadIdentityCredential.class, name = SPRING_CLOUD_AZURE_DEFAULT_CREDENTIAL)
    WorkloadIdentityCredential workloadIdentityCredential(WorkloadIdentitySettings settings,
            ObjectProvider<WorkloadIdentityCredentialBuilderCustomizer> customizers) {
        WorkloadIdentityCredentialBuilder builder = new WorkloadIdentityCredentialBuilder();
        PropertyMapper map = PropertyMapper.get();
        map.from(settings.clientId()).to(builder::clientId);
        map.from(settings.tenantId()).to(builder::tenantId);
        map.from(settings.tokenFile().toString()).to(builder::tokenFilePath);
        map.from(settings.authorityHost()).to(builder::authorityHost);
        map.from(settings.instanceDiscovery()).whenFalse().toCall(builder::disableInstanceDiscovery);
        customizers.orderedStream().forEach((customizer) -> customizer.customize(builder));
        return builder.build();
    }

}
