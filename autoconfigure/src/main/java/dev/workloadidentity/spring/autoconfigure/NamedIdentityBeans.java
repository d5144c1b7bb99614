package dev.workloadidentity.spring.autoconfigure;

import java.util.Map;

import dev.workloadidentity.spring.credential.SharedTokenCredential;
import dev.workloadidentity.spring.diagnostics.Diagnosis;
import dev.workloadidentity.spring.diagnostics.Problem;

import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.support.AbstractBeanDefinition;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.EnvironmentAware;
import org.springframework.context.annotation.ImportBeanDefinitionRegistrar;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotationMetadata;

/**
 * Registers one {@link SharedTokenCredential} bean per identity of {@code workload-identity.identities}, named as
 * the identity, so that a Spring Cloud Azure client signs in as it with
 * {@code spring.cloud.azure.<service>.credential.token-credential-bean-name: <name>}, the setting Spring Cloud Azure
 * already has for giving one client its own credential. The names are read from the environment here because
 * bean definitions must exist before any bean, {@link NamedIdentities} included, is created.
 * <p>
 * A name the application already uses for a bean fails startup, instead of replacing that bean or being replaced
 * by it: either way a client would silently sign in with something else than the identity it names.
 */
class NamedIdentityBeans implements ImportBeanDefinitionRegistrar, EnvironmentAware {

    /** Name of the {@link NamedIdentities} bean, the factory of the credentials. */
    static final String NAMED_IDENTITIES_BEAN = "workloadIdentityNamedIdentities";

    /** The health contributor's component for the pod's own identity, so no identity may take it. */
    static final String RESERVED_NAME = "default";

    private Environment environment;

    @Override
    public void setEnvironment(Environment environment) {
        this.environment = environment;
    }

    @Override
    public void registerBeanDefinitions(AnnotationMetadata metadata, BeanDefinitionRegistry registry) {
        for (String name : configuredNames(this.environment)) {
            checkAvailable(name, registry);
            RootBeanDefinition definition = new RootBeanDefinition();
            definition.setFactoryBeanName(NAMED_IDENTITIES_BEAN);
            definition.setFactoryMethodName("credential");
            definition.getConstructorArgumentValues().addGenericArgumentValue(name);
            definition.setTargetType(SharedTokenCredential.class);
            definition.setDependsOn(NAMED_IDENTITIES_BEAN);
            definition.setDestroyMethodName(AbstractBeanDefinition.INFER_METHOD);
            registry.registerBeanDefinition(name, definition);
        }
    }

    static Iterable<String> configuredNames(Environment environment) {
        return Binder.get(environment)
            .bind("workload-identity.identities",
                    Bindable.mapOf(String.class, WorkloadIdentityProperties.Identity.class))
            .orElse(Map.of())
            .keySet();
    }

    private static void checkAvailable(String name, BeanDefinitionRegistry registry) {
        String takenBy = null;
        if (RESERVED_NAME.equals(name)) {
            takenBy = "'default' is the health component of the pod's own identity";
        }
        else if (registry.isAlias(name)) {
            takenBy = "the application already has a bean alias of that name";
        }
        else if (registry.containsBeanDefinition(name)) {
            BeanDefinition existing = registry.getBeanDefinition(name);
            String description = (existing.getBeanClassName() != null) ? existing.getBeanClassName()
                    : existing.getResourceDescription();
            takenBy = "the application already has a bean of that name (" + description + ")";
        }
        if (takenBy != null) {
            throw new WorkloadIdentityConfigurationException(
                    Diagnosis.of(Problem.IDENTITY_NAME_TAKEN, Map.of("identityName", name, "takenBy", takenBy)));
        }
    }

}
