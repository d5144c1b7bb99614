package dev.workloadidentity.spring.autoconfigure.azure;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.workloadidentity.spring.autoconfigure.WorkloadIdentityDetection;
import org.apache.commons.logging.Log;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.logging.DeferredLogFactory;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.util.ClassUtils;

/**
 * Keeps secrets left in a workload-identity pod's environment from becoming Spring Cloud Azure credentials.
 * <p>
 * Spring Cloud Azure copies {@code AZURE_CLIENT_SECRET}, {@code AZURE_CLIENT_CERTIFICATE_PATH},
 * {@code AZURE_USERNAME} and friends into {@code spring.cloud.azure.credential.*}, where they outrank the default
 * credential: a forgotten secret would make every client sign in with it instead of the pod's workload identity.
 * This blanks those copies (only those: properties the user sets in application configuration still win) and
 * warns, naming the variable and never its value.
 */
public class SecretVariablesEnvironmentPostProcessor implements EnvironmentPostProcessor, Ordered {

    /** Name of the property source Spring Cloud Azure fills from {@code AZURE_*} variables. */
    static final String SPRING_CLOUD_AZURE_VARIABLES = "Azure Core/SDK";

    static final String PROPERTY_SOURCE_NAME = "workloadIdentityIgnoredSecretVariables";

    private static final String SPRING_CLOUD_AZURE_CLASS = "com.azure.spring.cloud.autoconfigure.implementation."
            + "context.AzureGlobalConfigurationEnvironmentPostProcessor";

    private static final Map<String, String> SECRET_VARIABLES = Map.of("AZURE_CLIENT_SECRET", "client-secret",
            "AZURE_CLIENT_CERTIFICATE_PATH", "client-certificate-path", "AZURE_CLIENT_CERTIFICATE_PASSWORD",
            "client-certificate-password", "AZURE_USERNAME", "username", "AZURE_PASSWORD", "password");

    private final Log logger;

    public SecretVariablesEnvironmentPostProcessor(DeferredLogFactory logFactory) {
        this.logger = logFactory.getLog(SecretVariablesEnvironmentPostProcessor.class);
    }

    @Override
    public int getOrder() {
        // After application configuration is loaded, like Spring Cloud Azure's own variable mapping.
        return Ordered.LOWEST_PRECEDENCE;
    }

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if (!ClassUtils.isPresent(SPRING_CLOUD_AZURE_CLASS, application.getClassLoader())
                || !WorkloadIdentityDetection.detect(environment).isMatch()) {
            return;
        }
        Map<String, Object> blanked = new LinkedHashMap<>();
        SECRET_VARIABLES.forEach((variable, credentialKey) -> {
            if (environment.containsProperty(variable)) {
                blanked.put("spring.cloud.azure.credential." + credentialKey, "");
                this.logger.warn(variable + " is set, but this pod signs in with its workload identity, so "
                        + "Spring Cloud Azure will not use it. Remove " + variable + " from the pod; to sign in "
                        + "with it on purpose, set spring.cloud.azure.credential." + credentialKey + " instead.");
            }
        });
        if (!blanked.isEmpty()) {
            add(environment.getPropertySources(), new MapPropertySource(PROPERTY_SOURCE_NAME, blanked));
        }
    }

    /** Just ahead of Spring Cloud Azure's copies, whichever of the two post-processors runs first. */
    private static void add(MutablePropertySources sources, MapPropertySource blanked) {
        if (sources.contains(SPRING_CLOUD_AZURE_VARIABLES)) {
            sources.addBefore(SPRING_CLOUD_AZURE_VARIABLES, blanked);
        }
        else {
            sources.addLast(blanked);
        }
    }

}
