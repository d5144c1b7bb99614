package dev.workloadidentity.spring.autoconfigure;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.workloadidentity.spring.diagnostics.Diagnosis;
import dev.workloadidentity.spring.diagnostics.Problem;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.NoSuchBeanDefinitionException;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Environment;

/**
 * Explains a Spring Cloud Azure client that names a credential bean that does not exist, typically a misspelt
 * identity of {@code workload-identity.identities}: names the setting and the identities there are. Spring Boot's
 * own report would name the client builder's injection point instead, which says nothing of the setting. Ordered
 * before it; it answers nothing else.
 */
@Order(0)
class CredentialBeanNameFailureAnalyzer implements FailureAnalyzer {

    private final Environment environment;

    CredentialBeanNameFailureAnalyzer(Environment environment) {
        this.environment = environment;
    }

    @Override
    public @Nullable FailureAnalysis analyze(Throwable failure) {
        NoSuchBeanDefinitionException missing = find(failure);
        if (missing == null || missing.getBeanName() == null) {
            return null;
        }
        String setting = settingNaming(missing.getBeanName());
        if (setting == null) {
            return null;
        }
        List<String> identities = new ArrayList<>();
        NamedIdentityBeans.configuredNames(this.environment).forEach(identities::add);
        Diagnosis diagnosis = Diagnosis.of(Problem.CREDENTIAL_BEAN_MISSING, Map.of("setting", setting, "beanName",
                missing.getBeanName(), "identities", identities.isEmpty() ? "none" : String.join(", ", identities)));
        return new FailureAnalysis(diagnosis.reason(), diagnosis.action() + " [" + diagnosis.code() + "]", missing);
    }

    private @Nullable String settingNaming(String beanName) {
        if (!(this.environment instanceof ConfigurableEnvironment configurable)) {
            return null;
        }
        return CredentialSettings.find(configurable, "token-credential-bean-name", false)
            .stream()
            .map(CredentialSettings.Setting::name)
            .filter((name) -> beanName.equals(configurable.getProperty(name)))
            .findFirst()
            .orElse(null);
    }

    private static @Nullable NoSuchBeanDefinitionException find(Throwable failure) {
        for (Throwable current = failure; current != null; current = current.getCause()) {
            if (current instanceof NoSuchBeanDefinitionException missing) {
                return missing;
            }
        }
        return null;
    }

}
