package dev.workloadidentity.spring.autoconfigure;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.workloadidentity.spring.diagnostics.Diagnosis;
import dev.workloadidentity.spring.diagnostics.Problem;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.NoSuchBeanDefinitionException;
import org.springframework.beans.factory.support.BeanDefinitionOverrideException;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Environment;

/**
 * Explains the two startup failures around {@code workload-identity.identities} that Spring Boot would report
 * misleadingly. A client naming a credential bean that does not exist, typically a misspelt identity: Boot would
 * name the client builder's injection point, not the setting. And a bean registered after an identity of the same
 * name: Boot would advise allowing bean overriding, which would let that bean silently replace the identity.
 * Ordered before Boot's analyzers; it answers nothing else.
 */
@Order(0)
class NamedIdentityFailureAnalyzer implements FailureAnalyzer {

    private final Environment environment;

    NamedIdentityFailureAnalyzer(Environment environment) {
        this.environment = environment;
    }

    @Override
    public @Nullable FailureAnalysis analyze(Throwable failure) {
        Diagnosis diagnosis = nameTaken(find(failure, BeanDefinitionOverrideException.class));
        if (diagnosis == null) {
            diagnosis = beanMissing(find(failure, NoSuchBeanDefinitionException.class));
        }
        return (diagnosis != null)
                ? new FailureAnalysis(diagnosis.reason(), diagnosis.action() + " [" + diagnosis.code() + "]", failure)
                : null;
    }

    private @Nullable Diagnosis nameTaken(@Nullable BeanDefinitionOverrideException override) {
        if (override == null || !identities().contains(override.getBeanName())) {
            return null;
        }
        String registered = override.getBeanDefinition().getResourceDescription();
        return Diagnosis.of(Problem.IDENTITY_NAME_TAKEN, Map.of("identityName", override.getBeanName(), "takenBy",
                "a bean of that name is registered after it too"
                        + ((registered != null) ? " (" + registered + ")" : "")));
    }

    private @Nullable Diagnosis beanMissing(@Nullable NoSuchBeanDefinitionException missing) {
        String beanName = (missing != null) ? missing.getBeanName() : null;
        String setting = (beanName != null) ? settingNaming(beanName) : null;
        if (setting == null) {
            return null;
        }
        List<String> identities = identities();
        return Diagnosis.of(Problem.CREDENTIAL_BEAN_MISSING, Map.of("setting", setting, "beanName", beanName,
                "identities", identities.isEmpty() ? "none" : String.join(", ", identities)));
    }

    private List<String> identities() {
        List<String> identities = new ArrayList<>();
        NamedIdentityBeans.configuredNames(this.environment).forEach(identities::add);
        return identities;
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

    private static <T extends Throwable> @Nullable T find(Throwable failure, Class<T> type) {
        for (Throwable current = failure; current != null; current = current.getCause()) {
            if (type.isInstance(current)) {
                return type.cast(current);
            }
        }
        return null;
    }

}
