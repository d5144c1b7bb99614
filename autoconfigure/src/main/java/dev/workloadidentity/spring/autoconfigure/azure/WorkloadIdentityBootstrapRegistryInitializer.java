package dev.workloadidentity.spring.autoconfigure.azure;

import com.azure.core.credential.TokenCredential;
import dev.workloadidentity.spring.autoconfigure.WorkloadIdentityDetection;

import org.springframework.boot.bootstrap.BootstrapRegistry;
import org.springframework.boot.bootstrap.BootstrapRegistry.InstanceSupplier;
import org.springframework.boot.bootstrap.BootstrapRegistry.Scope;
import org.springframework.boot.bootstrap.BootstrapRegistryInitializer;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.util.ClassUtils;

/**
 * Registers the pod's workload identity as the {@link TokenCredential} of the bootstrap registry, the only
 * credential Spring Cloud Azure's Key Vault property sources
 * ({@code spring.cloud.azure.keyvault.secret.property-sources}) look for; without it they fall back to a
 * {@code DefaultAzureCredential} of their own.
 * <p>
 * This runs before there is an environment, so it looks for workload identity where the AKS webhook puts it, in
 * the process environment (and system properties), with the same detection as the auto-configuration. The
 * credential itself is built later, from the prepared environment, when the first property source asks for it.
 * A {@link TokenCredential} that the application registers itself with
 * {@code SpringApplication.addBootstrapRegistryInitializer} replaces this one. When workload identity is configured
 * only where this phase does not look, {@link PropertySourcesWithoutWorkloadIdentity} reports the property sources
 * that loaded without it.
 */
public class WorkloadIdentityBootstrapRegistryInitializer implements BootstrapRegistryInitializer {

    private static final String SECRET_CLIENT = "com.azure.security.keyvault.secrets.SecretClient";

    @Override
    public void initialize(BootstrapRegistry registry) {
        ClassLoader classLoader = getClass().getClassLoader();
        if (!ClassUtils.isPresent(KeyVaultStartupWatch.KEY_VAULT_POST_PROCESSOR, classLoader)
                || !ClassUtils.isPresent(SECRET_CLIENT, classLoader)) {
            return;
        }
        if (!detected()) {
            registry.addCloseListener(PropertySourcesWithoutWorkloadIdentity::check);
            return;
        }
        registry.registerIfAbsent(BootstrapWorkloadIdentity.class,
                InstanceSupplier.from(BootstrapWorkloadIdentity::new));
        // Prototype: Spring Cloud Azure asks once per property source, which lets the startup watch follow them.
        InstanceSupplier<TokenCredential> credential = (context) -> context.get(BootstrapWorkloadIdentity.class)
            .credentialForNextPropertySource();
        registry.registerIfAbsent(TokenCredential.class, credential.withScope(Scope.PROTOTYPE));
        registry.addCloseListener((event) -> event.getBootstrapContext()
            .get(BootstrapWorkloadIdentity.class)
            .handOver(event.getApplicationContext()));
    }

    private static boolean detected() {
        StandardEnvironment environment = new StandardEnvironment();
        ConfigurationPropertySources.attach(environment);
        return WorkloadIdentityDetection.detect(environment).isMatch();
    }

}
