package dev.workloadidentity.spring.autoconfigure;

import org.springframework.boot.autoconfigure.condition.ConditionMessage;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.core.env.PropertyResolver;
import org.springframework.util.StringUtils;

/**
 * Decides whether this process runs with a workload identity: the AKS webhook (or the user) named a federated
 * token file and nobody switched the feature off. Shared by the condition on the auto-configuration and by the
 * parts that run before the application context exists, so both phases agree.
 */
public final class WorkloadIdentityDetection {

    /** The variable the AKS workload identity webhook sets to the projected token's path. */
    public static final String TOKEN_FILE_VARIABLE = "AZURE_FEDERATED_TOKEN_FILE";

    static final String TOKEN_FILE_PROPERTY = "workload-identity.token-file";

    static final String ENABLED_PROPERTY = "workload-identity.enabled";

    private WorkloadIdentityDetection() {
    }

    /**
     * Looks for workload identity in an environment.
     * @param environment the Spring environment (system environment, system properties, application config)
     * @return a matching outcome naming what was found, or a non-matching one saying what was missing
     */
    public static ConditionOutcome detect(PropertyResolver environment) {
        ConditionMessage.Builder message = ConditionMessage.forCondition(ConditionalOnWorkloadIdentity.class);
        if (!environment.getProperty(ENABLED_PROPERTY, Boolean.class, true)) {
            return ConditionOutcome.noMatch(message.because(ENABLED_PROPERTY + " is false"));
        }
        for (String key : new String[] { TOKEN_FILE_PROPERTY, TOKEN_FILE_VARIABLE }) {
            String value = environment.getProperty(key);
            if (StringUtils.hasText(value)) {
                return ConditionOutcome.match(message.found("federated token file").items(key + "=" + value));
            }
        }
        return ConditionOutcome
            .noMatch(message.didNotFind("federated token file").items(TOKEN_FILE_VARIABLE, TOKEN_FILE_PROPERTY));
    }

}
