package dev.workloadidentity.spring.autoconfigure;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.workloadidentity.spring.diagnostics.Diagnosis;
import dev.workloadidentity.spring.diagnostics.Problem;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.util.ClassUtils;
import org.springframework.util.StringUtils;

/**
 * Finds what in the application would sign in as a broader identity than the pod's workload identity, once every
 * bean exists: {@code ManagedIdentityCredential} and {@code DefaultAzureCredential} beans, and Spring Cloud Azure
 * settings that select a managed identity or a client secret, globally or for one service, in configuration or as
 * environment variables, and a service's own client ID that Spring Cloud Azure ignores (so the client signs in as
 * the pod's identity, not the one meant). Each finding is logged as a warning saying what it does and how to remove
 * it; with {@code workload-identity.strict=true} the findings, and secrets left in the pod's environment, fail
 * startup instead.
 */
final class BroaderIdentityCheck implements SmartInitializingSingleton {

    private static final Log logger = LogFactory.getLog(BroaderIdentityCheck.class);

    private static final List<String> BROADER_CREDENTIALS = List.of("com.azure.identity.ManagedIdentityCredential",
            "com.azure.identity.DefaultAzureCredential");

    /** What makes Spring Cloud Azure use a client's own client ID; without one of them, it is ignored. */
    private static final List<String> OWN_CREDENTIAL_KEYS = List.of("client-secret", "client-certificate-path",
            "username", "token-credential-bean-name");

    private static final List<String> SECRET_VARIABLES = List.of("AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH",
            "AZURE_USERNAME", "AZURE_PASSWORD");

    private final ListableBeanFactory beans;

    private final ConfigurableEnvironment environment;

    private final String podClientId;

    private final boolean strict;

    BroaderIdentityCheck(ListableBeanFactory beans, ConfigurableEnvironment environment, String podClientId,
            boolean strict) {
        this.beans = beans;
        this.environment = environment;
        this.podClientId = podClientId;
        this.strict = strict;
    }

    @Override
    public void afterSingletonsInstantiated() {
        List<Diagnosis> findings = findings();
        if (this.strict && !findings.isEmpty()) {
            throw new WorkloadIdentityConfigurationException(findings.get(0));
        }
        findings.forEach((finding) -> logger.warn("Workload identity: " + finding.describe()));
    }

    List<Diagnosis> findings() {
        List<Diagnosis> findings = new ArrayList<>();
        for (String type : BROADER_CREDENTIALS) {
            if (ClassUtils.isPresent(type, getClass().getClassLoader())) {
                Class<?> credential = ClassUtils.resolveClassName(type, getClass().getClassLoader());
                for (String name : this.beans.getBeanNamesForType(credential, true, false)) {
                    findings.add(Diagnosis.of(Problem.BROADER_IDENTITY_BEAN,
                            Map.of("beanName", name, "credentialType", credential.getSimpleName())));
                }
            }
        }
        // The global client ID is the webhook's, copied by Spring Cloud Azure; a service's own is the user's.
        for (CredentialSettings.Setting setting : CredentialSettings.find(this.environment, "client-id", true)) {
            String clientId = this.environment.getProperty(setting.name());
            if (StringUtils.hasText(clientId) && !clientId.trim().equalsIgnoreCase(this.podClientId)
                    && !hasOwnCredential(setting.credentialPrefix())) {
                findings.add(Diagnosis.of(Problem.CLIENT_ID_IGNORED, Map.of("setting", setting.name(), "clientId",
                        clientId.trim(), "podClientId", this.podClientId, "credentialPrefix",
                        setting.credentialPrefix())));
            }
        }
        for (String key : List.of("managed-identity-enabled", "client-secret")) {
            for (CredentialSettings.Setting setting : CredentialSettings.find(this.environment, key, false)) {
                if (selectsAnotherIdentity(setting.name(), key)) {
                    String identity = "managed-identity-enabled".equals(key)
                            ? "a managed identity (on AKS, the node's)" : "a client secret";
                    findings.add(Diagnosis.of(Problem.BROADER_IDENTITY_SETTING,
                            Map.of("setting", setting.name(), "identity", identity)));
                }
            }
        }
        if (this.beans.containsBean(BootstrapCredential.BEAN_NAME)) {
            // Key Vault property sources read the vault as the pod's identity at startup.
            for (CredentialSettings.Setting setting : CredentialSettings.find(this.environment,
                    "token-credential-bean-name", true)) {
                String beanName = this.environment.getProperty(setting.name());
                if ("keyvault.secret".equals(setting.service()) && StringUtils.hasText(beanName)) {
                    findings.add(Diagnosis.of(Problem.KEY_VAULT_IDENTITY_SPLIT, Map.of("setting", setting.name(),
                            "beanName", beanName, "podClientId", this.podClientId)));
                }
            }
        }
        if (this.strict) {
            for (String variable : SECRET_VARIABLES) {
                if (StringUtils.hasText(this.environment.getProperty(variable))) {
                    findings.add(Diagnosis.of(Problem.LEFTOVER_SECRET_VARIABLE, Map.of("variable", variable)));
                }
            }
        }
        return findings;
    }

    private boolean selectsAnotherIdentity(String setting, String key) {
        String value = this.environment.getProperty(setting);
        return "managed-identity-enabled".equals(key) ? "true".equalsIgnoreCase(value) : StringUtils.hasText(value);
    }

    private boolean hasOwnCredential(String credentialPrefix) {
        return OWN_CREDENTIAL_KEYS.stream()
            .anyMatch((key) -> StringUtils.hasText(this.environment.getProperty(credentialPrefix + key)))
                || "true".equalsIgnoreCase(this.environment.getProperty(credentialPrefix + "managed-identity-enabled"));
    }

}
