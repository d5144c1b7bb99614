package dev.workloadidentity.spring.autoconfigure.azure;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import com.azure.core.credential.TokenCredential;
import dev.workloadidentity.spring.autoconfigure.WorkloadIdentityConfigurationException;
import dev.workloadidentity.spring.autoconfigure.WorkloadIdentityDetection;
import dev.workloadidentity.spring.diagnostics.Diagnosis;
import dev.workloadidentity.spring.diagnostics.Problem;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.boot.bootstrap.BootstrapContextClosedEvent;
import org.springframework.core.env.ConfigurableEnvironment;

/**
 * Notices Key Vault property sources that loaded their secrets with Spring Cloud Azure's own
 * {@code DefaultAzureCredential} on a pod with workload identity: the bootstrap phase looks for the webhook's
 * variables only in the process environment and system properties, so a token file named only in application
 * configuration or on the command line is found too late. That chain can sign in as the node's managed identity,
 * so it is reported (a startup failure with {@code workload-identity.strict=true}), as other broader identities are.
 */
final class PropertySourcesWithoutWorkloadIdentity {

    private static final Log logger = LogFactory.getLog(PropertySourcesWithoutWorkloadIdentity.class);

    private PropertySourcesWithoutWorkloadIdentity() {
    }

    /**
     * @param event the bootstrap context closing, once the property sources have loaded
     */
    static void check(BootstrapContextClosedEvent event) {
        if (event.getBootstrapContext().isRegistered(TokenCredential.class)) {
            return; // The application chose the property sources' credential itself.
        }
        ConfigurableEnvironment environment = event.getApplicationContext().getEnvironment();
        List<KeyVaultPropertySources.Source> propertySources = KeyVaultPropertySources.toLoad(environment);
        if (propertySources.isEmpty() || !WorkloadIdentityDetection.detect(environment).isMatch()) {
            return;
        }
        Diagnosis diagnosis = Diagnosis.of(Problem.KEY_VAULT_DEFAULT_CREDENTIAL,
                Map.of("propertySources", propertySources.stream()
                    .map(KeyVaultPropertySources.Source::name)
                    .collect(Collectors.joining("', '", "'", "'"))));
        if (environment.getProperty("workload-identity.strict", Boolean.class, false)) {
            throw new WorkloadIdentityConfigurationException(diagnosis);
        }
        logger.warn("Workload identity: " + diagnosis.describe());
    }

}
